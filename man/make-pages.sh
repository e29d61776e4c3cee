#!/usr/bin/env bash
# Writes the man pages: cardforge.1 and one cardforge-FAMILY.1 per command family that
# `cardforge --help` lists, each made by help2man from the program's own --help output, so a page
# says what the help says. FAMILY.h2m (and common.h2m) add what no --help holds: exit status,
# files, environment, see also.
# EXIT STATUS is the exit-code table of docs/cli.md, the one place the codes are described.
#   make-pages.sh CARDFORGE INCLUDE_DIR CLI_MD VERSION OUT_DIR
set -euo pipefail
[ "$#" -eq 5 ] || {
  echo "usage: make-pages.sh CARDFORGE INCLUDE_DIR CLI_MD VERSION OUT_DIR" >&2
  exit 2
}
cardforge=$1 includes=$2 cli_md=$3 version=$4 out=$5

# The families and their one-line summaries, as the top-level help lists them.
families=$("$cardforge" --help | awk '!seen && /^commands:$/ { on = 1; next } on && /^$/ { on = 0; seen = 1 } on && /^  [a-z]/ { print }')
[ -n "$families" ] || {
  echo "make-pages.sh: no command list in \`$cardforge --help\`" >&2
  exit 1
}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
rm -rf "$out"
mkdir -p "$out"
# A fixed date, so a rebuild of the same version writes the same pages (help2man honours it).
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git -C "$includes" log -1 --format=%ct 2>/dev/null || date +%s)}

# The rows "| CODE | MEANING |" of docs/cli.md's "## Exit codes" table, as roff: markdown's
# backticks and links dropped, backslashes and line-leading dots escaped.
{
  echo "[EXIT STATUS]"
  awk '/^## / { on = ($0 == "## Exit codes"); next }
       on && /^\| *[0-9]+ *\|/ {
         line = $0; sub(/^\| */, "", line); sub(/ *\| *$/, "", line)
         code = line; sub(/ *\|.*/, "", code); text = line; sub(/^[0-9]+ *\| */, "", text)
         out = ""
         while ((i = index(text, "\\")) > 0) { out = out substr(text, 1, i - 1) "\\e"; text = substr(text, i + 1) }
         text = out text
         gsub(/`/, "", text); gsub(/\]\([^)]*\)/, "", text); gsub(/\[/, "", text)
         if (substr(text, 1, 1) == ".") text = "\\&" text
         printf ".TP\n.B %s\n%s\n", code, text; n++ }
       END { if (n == 0) exit 1 }' "$cli_md"
} >"$work/exit-status.h2m" || {
  echo "make-pages.sh: no exit-code table under \"## Exit codes\" in $cli_md" >&2
  exit 1
}

# page NAME PROGRAM SUMMARY [help2man options]: writes OUT/NAME.1
page() {
  local name=$1 program=$2 summary=$3
  shift 3
  local inc=(--include "$includes/common.h2m" --include "$work/exit-status.h2m")
  if [ -f "$includes/$name.h2m" ]; then
    inc+=(--include "$includes/$name.h2m")
  else
    echo "make-pages.sh: warning: no $includes/$name.h2m: $name.1 has the common sections only" >&2
  fi
  help2man --no-info --section 1 --manual "cardforge manual" --source "cardforge $version" \
    --name "$summary" "${inc[@]}" "$@" --output "$out/$name.1" "$program"
}

# verbatim TEXT on stdin as roff: backslashes and line-leading dots or quotes escaped
roff_verbatim() {
  sed -e 's/\\/\\e/g' -e "s/^\([.']\)/\\\\\&\1/"
}

# cardforge(1) sees every family's page; each family page shows each command's own --help.
{
  echo "[>SEE ALSO]"
  echo ".PP"
  while read -r family _; do echo ".BR cardforge-$family (1),"; done <<<"$families"
  echo ".BR pcscd (8)."
} >"$work/see-also.h2m"
page cardforge "$cardforge" "smart-card key management: Keycard, GlobalPlatform, China Mobile cards" \
  --include "$work/see-also.h2m"
while read -r family summary; do
  commands=$("$cardforge" "$family" --help | awk '!seen && tolower($0) ~ /^commands:$/ { on = 1; next }
    on && /^$/ { on = 0; seen = 1 } on && /^  [a-z][a-z0-9-]*( |$)/ { print $1 }')
  extra=()
  if [ -n "$commands" ]; then
    for command in $commands; do
      echo ".SS \"$command\""
      echo ".nf"
      # the common and global options are on the page once, in the family's help above
      "$cardforge" "$family" "$command" --help |
        awk '/^(common options|global options \(before or after the command\))/ { skip = 1 }
             /^$/ { skip = 0 } !skip' | roff_verbatim
      echo ".fi"
    done | { echo "[COMMANDS]"; cat; } >"$work/commands-$family.h2m"
    extra=(--include "$work/commands-$family.h2m")
  fi
  # help2man names a page after the program it runs: cardforge-FAMILY runs `cardforge FAMILY`
  printf '#!/bin/sh\nexec %q %q "$@"\n' "$cardforge" "$family" >"$work/cardforge-$family"
  chmod +x "$work/cardforge-$family"
  page "cardforge-$family" "$work/cardforge-$family" "$summary" --version-string "cardforge-$family $version" \
    "${extra[@]}"
done <<<"$families"
