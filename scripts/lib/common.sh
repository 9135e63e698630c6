# Shared by the scripts in scripts/: where the repository and the built programs are, and building them when needed.
# Sourced, not run.

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CONFIGURATION="${FACEPIPELINE_CONFIGURATION:-Release}"

# Path of a built program (Extract, TrainHead or Predict).
program_path() {
  echo "$REPO_ROOT/src/$1/bin/$CONFIGURATION/net10.0/$1"
}

# Builds the solution in $CONFIGURATION unless every program exists and no source, build or model description file
# is newer than the last build.
build_if_needed() {
  local stamp="$REPO_ROOT/src/Predict/bin/$CONFIGURATION/net10.0/.facepipeline-build-stamp"
  local program
  local stale=0
  for program in Extract TrainHead Predict; do
    [[ -x "$(program_path "$program")" ]] || stale=1
  done
  if [[ $stale -eq 0 && -f "$stamp" ]]; then
    if [[ -n "$(find "$REPO_ROOT/src" "$REPO_ROOT/build" "$REPO_ROOT/models" "$REPO_ROOT"/Directory.*.props "$REPO_ROOT"/Directory.Build.targets \
          -newer "$stamp" \( -name '*.cs' -o -name '*.csproj' -o -name '*.props' -o -name '*.targets' -o -name '*.json' \) \
          -not -path '*/bin/*' -not -path '*/obj/*' -print -quit)" ]]; then
      stale=1
    fi
  else
    stale=1
  fi
  if [[ $stale -eq 1 ]]; then
    echo "build: dotnet build -c $CONFIGURATION (first run restores packages and takes a few minutes)" >&2
    dotnet build "$REPO_ROOT/FacePipeline.sln" -c "$CONFIGURATION" --nologo -v quiet -clp:ErrorsOnly >&2
    touch "$stamp"
  fi
}
