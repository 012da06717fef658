"""Library in sync with the notebooks, notebooks clean: the check nbdev's own CI runs.

    nbdev-clean && nbdev-export && test -z "$(git status --porcelain)"

On a clean clone (CI) that is all there is. In a working copy that already holds uncommitted
edits, `git status` is not empty to begin with, so this compares the status (and the content of
each file it lists) before and after the two commands, and names exactly the files they changed.
Exits 1 if they changed any.

Usage: python tools/check_sync.py [--root DIR]   (DIR: a git work tree holding pyproject.toml)
"""
from __future__ import annotations
import argparse, hashlib, subprocess, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def changed_files(root:Path) -> dict:
    "Every file `git status --porcelain` lists, with a hash of its content (None when deleted)."
    out = subprocess.run(['git', 'status', '--porcelain', '-z', '--untracked-files=all'], cwd=root,
                         capture_output=True, text=True, check=True).stdout.split('\0')
    files, i = {}, 0
    while i < len(out):
        entry = out[i]; i += 1
        if len(entry) < 4: continue
        xy, path = entry[:2], entry[3:]
        if 'R' in xy or 'C' in xy: i += 1          # a rename is followed by its old path
        f = root/path
        files[path] = hashlib.sha1(f.read_bytes()).hexdigest() if f.is_file() else None
    return files


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--root', type=Path, default=ROOT)
    root = ap.parse_args(argv).root.resolve()
    bin_dir = Path(sys.executable).parent
    before = changed_files(root)
    for cmd in ('nbdev-clean', 'nbdev-export'):
        subprocess.run([str(bin_dir/cmd)], cwd=root, check=True)
    after = changed_files(root)
    changed = sorted(f for f in before.keys() | after.keys() if before.get(f) != after.get(f))
    if changed:
        print("nbdev-clean / nbdev-export changed these files (the library or the notebooks were out of sync):")
        for f in changed: print(f"  {f}")
        print("Review the change (git diff), then commit it.")
        return 1
    note = f" ({len(before)} files you changed were left as they were)" if before else " (git status is empty)"
    print(f"in sync: nbdev-clean and nbdev-export changed nothing{note}")
    return 0


if __name__ == '__main__': sys.exit(main())
