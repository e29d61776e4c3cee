# bash completion for cardforge: its commands and options.
# The words come from the program's own help (`cardforge --help`, `cardforge FAMILY --help`,
# `cardforge FAMILY COMMAND --help`), which is printed from the command tables: completion offers
# what the installed program accepts, with no list of its own to fall behind.

# The command names of the "commands:" list of the help text on stdin.
_cardforge_commands_in_help() {
  awk '!seen && tolower($0) ~ /^commands:$/ { on = 1; next }
       on && /^$/ { on = 0; seen = 1 }
       on && /^  [a-z][a-z0-9-]*( |$)/ { print $1 }'
}

# Every long option the help text on stdin names.
_cardforge_options_in_help() {
  grep -oE -- '(^|[^A-Za-z0-9-])--[a-z][a-z0-9-]*' | grep -oE -- '--[a-z][a-z0-9-]*' | sort -u
}

_cardforge() {
  local cur=${COMP_WORDS[COMP_CWORD]} prev=""
  ((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD - 1]}
  local prog=${COMP_WORDS[0]}
  COMPREPLY=()

  case $prev in
  # options whose value is a file: the shell's file names
  --file | -f | --config | --state-dir | --pidfile | --hsm | --key-file | --new-key-file | --cap)
    return 0 # -o default completes file names
    ;;
  esac

  # The family and its command: the first words that are in the help's command lists (an
  # option's value, `--reader 1`, is in neither).
  local top family="" command="" help words w i
  top=$("$prog" --help 2>/dev/null | _cardforge_commands_in_help)
  local family_commands=""
  for ((i = 1; i < COMP_CWORD; i++)); do
    w=${COMP_WORDS[i]}
    [[ $w == -* ]] && continue
    if [ -z "$family" ]; then
      [ "$w" = help ] && continue
      if grep -qxF -- "$w" <<<"$top"; then
        family=$w
        family_commands=$("$prog" "$family" --help 2>/dev/null | _cardforge_commands_in_help)
      fi
    elif [ -z "$command" ] && [ -n "$family_commands" ] && grep -qxF -- "$w" <<<"$family_commands"; then
      command=$w
      break
    fi
  done

  if [ -z "$family" ]; then
    help=$("$prog" --help 2>/dev/null)
    words=$top
  elif [ -z "$command" ]; then
    help=$("$prog" "$family" --help 2>/dev/null)
    words=$family_commands
  else
    help=$("$prog" "$family" "$command" --help 2>/dev/null)
    words=""
  fi
  if [[ $cur == -* ]]; then
    words=$(_cardforge_options_in_help <<<"$help")
  fi
  mapfile -t COMPREPLY < <(compgen -W "$words" -- "$cur")
  return 0
}
complete -o default -F _cardforge cardforge
