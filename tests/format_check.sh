#!/usr/bin/env bash
# format_check SRCDIR: fails, naming the files, when a C file git tracks differs from what
# clang-format makes of it with the project's .clang-format (`make format` fixes them all).
set -u
cd "$1" || exit 1
command -v clang-format >/dev/null || { echo "SKIP: clang-format not installed"; exit 77; }
git rev-parse --is-inside-work-tree >/dev/null 2>&1 || { echo "SKIP: not a git checkout"; exit 77; }
bad=()
while IFS= read -r f; do
  clang-format --dry-run -Werror "$f" >/dev/null 2>&1 || bad+=("$f")
done < <(git ls-files '*.c' '*.h')
if [ ${#bad[@]} -gt 0 ]; then
  echo "FAIL: ${#bad[@]} file(s) not formatted (run make format):"
  printf '  %s\n' "${bad[@]}"
  exit 1
fi
echo "ok: $(git ls-files '*.c' '*.h' | wc -l) C files formatted as .clang-format says"
