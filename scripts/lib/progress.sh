# Progress for the set-up scripts (sourced by scripts/bootstrap and scripts/install-pulumi): one line per stage
# on stderr, every command's own output (pip, the Go toolchain) in one log file, whose path and last lines are
# printed when a stage fails.
#
#   progress_init NAME       the prefix of every line, and the log: $CFMTLS_CACHE_DIR/logs/NAME.log (the last run's)
#   progress_on_exit CMD...  run CMD when the script ends (the one EXIT trap is progress.sh's)
#   stage "what" CMD...      run CMD with its output in the log; say "what", and how long it took
#   say "text"               one line of progress

progress_init() {
  progress_name=$1
  local logs="${CFMTLS_CACHE_DIR:-$HOME/.cache/cfmtls-provider}/logs"
  mkdir -p "$logs"
  # Written under a name of its own (several checkouts may set up at once), kept as NAME.log when the run ends.
  progress_log="$logs/$progress_name.log"
  progress_run_log=$(mktemp "$logs/$progress_name.XXXXXX")
  _progress_pid=$BASHPID
  _progress_at_exit=()
  trap _progress_exit EXIT
}

progress_on_exit() { _progress_at_exit+=("$(printf '%q ' "$@")"); }

# In the script's own process only (a subshell may run the trap too).
_progress_exit() {
  [ "$BASHPID" = "$_progress_pid" ] || return 0
  local command
  for command in "${_progress_at_exit[@]}"; do eval "$command" || true; done
  rm -f "$progress_run_log.running"
  # A run with nothing to do (no stage) keeps the log of the last run that did something.
  if [ -s "$progress_run_log" ]; then mv -f "$progress_run_log" "$progress_log"; else rm -f "$progress_run_log"; fi
}

say() { printf '%s: %s\n' "$progress_name" "$*" >&2; }

# A long stage says it is still going: in place every 10 s on a terminal, else a line every 2 minutes (CI logs).
# It runs while the stage's flag file exists and the script lives, and ends by itself: no signal, no trap (a
# signal or a trap in a subshell can make bash run the script's EXIT trap there). Its output goes to
# descriptor 3, the script's stderr; its sleeps hold none of the script's descriptors.
_progress_ticker() {
  local flag=$1 what=$2 script=$3 ticks=0 elapsed
  while [ -e "$flag" ] && kill -0 "$script" 2>/dev/null; do
    sleep 0.5 </dev/null >/dev/null 2>&1 3>&-
    ticks=$((ticks + 1))
    [ $((ticks % 20)) -eq 0 ] && [ -e "$flag" ] || continue
    elapsed=$(_progress_duration $((ticks / 2)))
    if [ -t 3 ]; then
      printf '\r%s: %s ... %s' "$progress_name" "$what" "$elapsed" >&3
    elif [ $((ticks % 240)) -eq 0 ]; then
      printf '%s:   ... still going (%s)\n' "$progress_name" "$elapsed" >&3
    fi
  done
}

_progress_duration() { # seconds -> "42 s" or "7 min 05 s"
  if [ "$1" -lt 60 ]; then printf '%d s' "$1"; else printf '%d min %02d s' $(($1 / 60)) $(($1 % 60)); fi
}

stage() {
  local what=$1 started=$SECONDS status=0 ticker output_from took
  shift
  if [ -t 2 ]; then printf '%s: %s ...' "$progress_name" "$what" >&2; else say "$what ..."; fi
  printf '\n== %s: %s\n$ %s\n' "$(date '+%F %T')" "$what" "$*" >>"$progress_run_log"
  output_from=$(($(wc -c <"$progress_run_log") + 1))
  : >"$progress_run_log.running"
  _progress_ticker "$progress_run_log.running" "$what" "$_progress_pid" </dev/null >/dev/null 3>&2 2>/dev/null &
  ticker=$!
  "$@" >>"$progress_run_log" 2>&1 || status=$?
  rm -f "$progress_run_log.running"
  wait "$ticker" 2>/dev/null || true
  took=$(_progress_duration $((SECONDS - started)))
  if [ "$status" -ne 0 ]; then
    [ -t 2 ] && printf '\n' >&2
    say "$what: FAILED (exit status $status) after $took; the last lines of its output:"
    tail -c "+$output_from" "$progress_run_log" | tail -n 15 | sed 's/^/    /' >&2
    say "the full log: $progress_log"
  elif [ -t 2 ]; then
    printf '\r%s: %s ... done (%s)\n' "$progress_name" "$what" "$took" >&2
  fi
  printf '== took %s, exit status %d\n' "$took" "$status" >>"$progress_run_log"
  return "$status"
}
