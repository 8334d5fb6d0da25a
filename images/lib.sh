# Shared by the images' build scripts: skip a build whose inputs have not changed.
#   inputs_hash FILE...   prints a short hash of the files' contents
#   up_to_date TAG HASH   true when TAG exists with label dev.shakedown.inputs=HASH
inputs_hash() { cat "$@" | sha256sum | cut -c1-16; }
up_to_date() {
	[[ $(docker image inspect -f '{{ index .Config.Labels "dev.shakedown.inputs" }}' "$1" 2>/dev/null || true) == "$2" ]]
}
