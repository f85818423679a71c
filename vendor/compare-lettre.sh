#!/usr/bin/env bash
# Compares vendor/lettre with the lettre release it tracks, as published on crates.io: prints
# the upstream commit (from the crate's .cargo_vcs_info.json) and the files that differ, and
# fails if a file differs that vendor/lettre/PATCHED.md does not name (an unreviewed change).
#   vendor/compare-lettre.sh               the summary and the check
#   vendor/compare-lettre.sh --diff        also the whole diff, upstream → vendored
#   vendor/compare-lettre.sh --advisories  also `cargo deny check advisories` on that release:
#                                          cargo-deny matches no advisory against a path crate
set -euo pipefail
cd "$(dirname "$0")/.."

show_diff=false
advisories=false
for arg in "$@"; do
  case "$arg" in
    --diff) show_diff=true ;;
    --advisories) advisories=true ;;
    *) echo "usage: $0 [--diff] [--advisories]" >&2; exit 2 ;;
  esac
done

version=$(sed -n 's/^version = "\(.*\)"$/\1/p' vendor/lettre/Cargo.toml | head -1)
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
mkdir "$scratch/src"
: > "$scratch/src/lib.rs"
cat > "$scratch/Cargo.toml" <<TOML
[package]
name = "lettre-upstream"
version = "0.0.0"
edition = "2021"
publish = false
license = "MIT"

[dependencies]
lettre = { version = "=$version", default-features = false }

[workspace]
TOML
upstream=$(cargo metadata --quiet --format-version 1 --manifest-path "$scratch/Cargo.toml" \
  | grep -o "\"manifest_path\":\"[^\"]*/lettre-$version/Cargo.toml\"" | head -1 \
  | sed 's/^"manifest_path":"\(.*\)\/Cargo.toml"$/\1/')
[ -d "$upstream" ] || { echo "lettre $version not found in cargo's registry cache" >&2; exit 1; }

commit=$(sed -n 's/.*"sha1": "\([0-9a-f]*\)".*/\1/p' "$upstream/.cargo_vcs_info.json")
echo "vendor/lettre tracks lettre $version from crates.io, upstream commit ${commit:-unknown}"

# Upstream's dotfiles and Cargo.lock are not vendored; PATCHED.md is ours.
excludes=(--exclude=PATCHED.md --exclude=Cargo.lock --exclude='.*')
changed=$(diff -rq "${excludes[@]}" "$upstream" vendor/lettre \
  | sed -e "s|^Files $upstream/\([^ ]*\) and .*|\1|" -e "s|^Only in $upstream\(/[^:]*\)\{0,1\}: \(.*\)|removed: \1/\2|" \
        -e 's|^Only in vendor/lettre\(/[^:]*\)\{0,1\}: \(.*\)|added: \1/\2|' -e 's|: /|: |' || true)
unreviewed=0
while read -r file; do
  [ -n "$file" ] || continue
  path=${file#*: }
  if grep -qF "\`$path\`" vendor/lettre/PATCHED.md; then
    echo "  differs, named in PATCHED.md: $file"
  else
    echo "  differs, NOT named in PATCHED.md: $file" >&2
    unreviewed=1
  fi
done <<< "$changed"

if $show_diff; then
  diff -ru "${excludes[@]}" "$upstream" vendor/lettre || true
fi
if $advisories; then
  cargo deny --manifest-path "$scratch/Cargo.toml" check advisories
fi
exit "$unreviewed"
