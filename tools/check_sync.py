"""Check that `nbdev-export` and `nbdev-clean` change nothing: the committed library is what the
notebooks export, and the notebooks are clean. Exits 1 naming the files that changed."""
import hashlib, subprocess, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WATCH = [('digitlib', '*.py'), ('notebooks', '*.ipynb'), ('chapters', '*.ipynb')]

def snapshot() -> dict:
    return {str(f.relative_to(ROOT)): hashlib.sha1(f.read_bytes()).hexdigest()
            for d, pat in WATCH for f in sorted((ROOT/d).rglob(pat)) if '.ipynb_checkpoints' not in f.parts}

def main():
    bin_dir = Path(sys.executable).parent
    before = snapshot()
    for cmd in ('nbdev-export', 'nbdev-clean'):
        subprocess.run([str(bin_dir/cmd)], cwd=ROOT, check=True)
    after = snapshot()
    changed = sorted(f for f in before.keys() | after.keys() if before.get(f) != after.get(f))
    if changed:
        print("nbdev-export / nbdev-clean changed these files; the library or notebooks were out of sync:")
        for f in changed: print(f"  {f}")
        print("Run `nbdev-export && nbdev-clean` and commit the result.")
        sys.exit(1)
    print(f"in sync: nbdev-export and nbdev-clean changed none of {len(after)} files")

if __name__ == '__main__': main()
