//! Exports replace their folder whole: the new content is written into a staging folder beside
//! it, then swapped in, so a server never serves half an export and a file withdrawn since the
//! last export does not stay online. Used by the static site and the Eleventy export alike.
//!
//! Only a folder an export wrote is replaced: each export leaves a marker file in it
//! ([`MARKER`]); a folder holding anything else (someone's notes, the team's own posts) is
//! refused with a readable error and left untouched.

use std::path::{Path, PathBuf};

use anyhow::Context;

/// The file every export leaves in its folder: the mark of a folder eventail may replace.
pub const MARKER: &str = ".eventail-export";

/// Whether `out` may be replaced by an export: absent, an empty folder, or a folder an export
/// wrote (it holds the marker).
fn check_replaceable(out: &Path) -> anyhow::Result<()> {
    if !out.exists() {
        return Ok(());
    }
    if !out.is_dir() {
        anyhow::bail!(
            "{} is a file, not a folder: give a folder to write the export into",
            out.display()
        );
    }
    if out.join(MARKER).is_file() {
        return Ok(());
    }
    let mut entries = std::fs::read_dir(out)
        .with_context(|| format!("cannot read the folder {}", out.display()))?;
    if entries.next().is_none() {
        return Ok(());
    }
    anyhow::bail!(
        "{} already holds files that no eventail export wrote; an export replaces its whole \
         folder, so give an empty or new folder (nothing was changed)",
        out.display()
    )
}

/// A staging folder beside `out`, to write the next content of `out` into.
///
/// Dropped before [`StagedFolder::put_in_place`], it is removed and `out` is left as it was.
#[derive(Debug)]
pub struct StagedFolder {
    staging: PathBuf,
    out: PathBuf,
    /// Whether dropping it removes the staging folder.
    armed: bool,
}

impl StagedFolder {
    /// An empty staging folder for `out`, in the same parent folder (so the swap is a rename on
    /// one file system); what a failed export left there is cleared first.
    pub fn beside(out: &Path) -> anyhow::Result<StagedFolder> {
        check_replaceable(out)?;
        let staging = sibling(out, "new")?;
        if staging.exists() {
            std::fs::remove_dir_all(&staging)
                .with_context(|| format!("cannot clear {}", staging.display()))?;
        }
        std::fs::create_dir_all(&staging)
            .with_context(|| format!("cannot create {}", staging.display()))?;
        std::fs::write(
            staging.join(MARKER),
            "Written by `eventail publish`: the next export replaces this whole folder.\n",
        )
        .with_context(|| format!("cannot write into {}", staging.display()))?;
        Ok(StagedFolder {
            staging,
            out: out.to_path_buf(),
            armed: true,
        })
    }

    /// Where to write.
    pub fn path(&self) -> &Path {
        &self.staging
    }

    /// Puts the staging folder where `out` is, removing the old `out`. If this fails half-way
    /// the staging folder is kept, as it may by then be the only copy of either export.
    pub fn put_in_place(mut self) -> anyhow::Result<()> {
        self.armed = false;
        replace_dir(&self.staging, &self.out)
    }
}

impl Drop for StagedFolder {
    fn drop(&mut self) {
        if self.armed {
            let _ = std::fs::remove_dir_all(&self.staging);
        }
    }
}

/// `out` with a suffix, in the same folder (so a rename stays on one file system).
fn sibling(out: &Path, suffix: &str) -> anyhow::Result<PathBuf> {
    let name = out
        .file_name()
        .with_context(|| format!("{} is not a folder name", out.display()))?;
    let mut name = name.to_os_string();
    name.push(format!(".{suffix}-{}", std::process::id()));
    Ok(out.with_file_name(name))
}

/// Puts `staging` where `out` is, removing the old `out`.
fn replace_dir(staging: &Path, out: &Path) -> anyhow::Result<()> {
    if out.exists() {
        let old = sibling(out, "old")?;
        std::fs::rename(out, &old)
            .with_context(|| format!("cannot move the previous export {} aside", out.display()))?;
        std::fs::rename(staging, out)
            .with_context(|| format!("cannot put the export in {}", out.display()))?;
        std::fs::remove_dir_all(&old)
            .with_context(|| format!("cannot remove the previous export {}", old.display()))?;
    } else {
        if let Some(parent) = out.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
        std::fs::rename(staging, out)
            .with_context(|| format!("cannot put the export in {}", out.display()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn the_new_content_replaces_the_old_whole() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("site");
        std::fs::create_dir_all(out.join("events/withdrawn")).unwrap();
        std::fs::write(out.join("events/withdrawn/index.html"), "old").unwrap();
        std::fs::write(out.join(MARKER), "").unwrap();

        let staged = StagedFolder::beside(&out).unwrap();
        assert_eq!(staged.path().parent(), Some(dir.path()));
        std::fs::write(staged.path().join("index.html"), "new").unwrap();
        staged.put_in_place().unwrap();

        assert_eq!(names(&out), [MARKER, "index.html"]);
        assert_eq!(
            std::fs::read_to_string(out.join("index.html")).unwrap(),
            "new"
        );
        // Neither the staging folder nor the previous export is left beside it.
        assert_eq!(names(dir.path()), ["site"]);
    }

    #[test]
    fn a_missing_target_and_its_parents_are_created() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("a/b/site");
        let staged = StagedFolder::beside(&out).unwrap();
        staged.put_in_place().unwrap();
        assert!(out.is_dir());
        assert_eq!(names(&out), [MARKER], "marked as an export's folder");
        // An empty folder is taken too, and the next export replaces a marked one.
        let empty = dir.path().join("empty");
        std::fs::create_dir_all(&empty).unwrap();
        StagedFolder::beside(&empty)
            .unwrap()
            .put_in_place()
            .unwrap();
        StagedFolder::beside(&out).unwrap().put_in_place().unwrap();
    }

    #[test]
    fn a_folder_no_export_wrote_is_refused_and_left_as_it_was() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("notes");
        std::fs::create_dir_all(&out).unwrap();
        std::fs::write(out.join("notes.txt"), "à garder").unwrap();
        let err = StagedFolder::beside(&out).unwrap_err().to_string();
        assert!(err.contains("no eventail export wrote"), "{err}");
        assert_eq!(names(&out), ["notes.txt"]);
        assert_eq!(names(dir.path()), ["notes"], "no staging folder left");
        let file = dir.path().join("notes/notes.txt");
        assert!(StagedFolder::beside(&file)
            .unwrap_err()
            .to_string()
            .contains("is a file"));
    }

    #[test]
    fn an_abandoned_export_leaves_the_target_as_it_was() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("site");
        std::fs::create_dir_all(&out).unwrap();
        std::fs::write(out.join("index.html"), "old").unwrap();
        std::fs::write(out.join(MARKER), "").unwrap();

        let staged = StagedFolder::beside(&out).unwrap();
        std::fs::write(staged.path().join("index.html"), "half").unwrap();
        drop(staged);

        assert_eq!(names(dir.path()), ["site"]);
        assert_eq!(
            std::fs::read_to_string(out.join("index.html")).unwrap(),
            "old"
        );
    }

    #[test]
    fn a_stale_staging_folder_is_cleared_first() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("site");
        let stale = sibling(&out, "new").unwrap();
        std::fs::create_dir_all(&stale).unwrap();
        std::fs::write(stale.join("left-over.html"), "").unwrap();

        let staged = StagedFolder::beside(&out).unwrap();
        assert_eq!(names(staged.path()), [MARKER]);
    }

    #[test]
    fn a_path_without_a_folder_name_is_refused() {
        assert!(StagedFolder::beside(Path::new("/")).is_err());
    }
}
