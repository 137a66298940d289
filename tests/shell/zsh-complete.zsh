#!/usr/bin/env zsh
# Prints the completions zsh offers for a command line, one per line ("word -- description"),
# by driving a real interactive zsh in a pseudo-terminal and pressing Tab.
# After Valodim's zsh-capture-completion (MIT): compadd is wrapped to print what it is given.
# Usage: zsh-complete.zsh FPATH_DIR 'sts-gen render -o '
zmodload zsh/zpty || exit 2
zpty z zsh -f -i
zpty -w z "fpath=(${(q)1} \$fpath); autoload -U compinit; compinit -u -D"
zpty -w z "zstyle ':completion:*' list-grouped false; zstyle ':completion:*' insert-tab false"
zpty -w z 'compadd () {
  [[ ${@[1,(i)(-|--)]} == *-(O|A|D)\ * ]] && { builtin compadd "$@"; return $? }
  typeset -a __hits __dscr
  if (( $@[(I)-d] )); then __dscr=( "${(@P)${(v)@[$@[(I)-d]+1]}}" ); fi
  builtin compadd -A __hits -D __dscr "$@"
  [[ -n $__hits ]] || return
  local i dscr
  for i in {1..$#__hits}; do
    (( $#__dscr >= $i )) && dscr=" -- ${${__dscr[$i]}##$__hits[$i] #}" || dscr=
    builtin print -r -- "$__hits[$i]$dscr"
  done
}'
zpty -w z "null-line () { echo -E - \$'\\0' }; compprefuncs=( null-line ); comppostfuncs=( null-line exit )"
# Last: once Enter is unbound, no further line would run.
zpty -w z "bindkey '^M' undefined; bindkey '^J' undefined; bindkey '^I' complete-word"
zpty -n -w z "$2"$'\t'
integer tog=0
while zpty -r z; do :; done | while IFS= read -r line; do
  if [[ $line == *$'\0\r' ]]; then
    (( tog++ )) && exit 0 || continue
  fi
  (( tog )) && print -r -- "${line%$'\r'}"
done
