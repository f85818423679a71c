//use repeats::*;

//pub trait Period {
//    fn days(&self) -> Repeats;
//    fn weeks(&self) -> Repeats;
//    fn months(&self) -> Repeats;
//    fn years(&self) -> Repeats;
//}
//
//
//impl Period for usize {
//    fn days(&self) -> Repeats {
//        Repeats::Days(*self)
//    }
//    fn weeks(&self) -> Repeats {
//        Repeats::Weeks(*self)
//    }
//    fn months(&self) -> Repeats {
//        Repeats::Months(*self)
//    }
//    fn years(&self) -> Repeats {
//        Repeats::Years(*self)
//    }
//}
//
