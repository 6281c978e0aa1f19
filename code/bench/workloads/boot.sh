# shellcheck shell=bash disable=SC2034  # the WL_ variables are read by measure
# boot: how long a guest takes to come up and to go away again.
#
#  - to-init: the guest's /proc/uptime when its PID 1 starts (the
#    runner's boot-to-init figure), i.e. kernel start to first user
#    process, on the guest's clock;
#  - to-poweroff: host wall-clock time of a whole run of the command
#    "true", from starting the runner to its exit after the guest powered
#    off (includes the runner's own set-up and clean-up).
WL_DESC="boot: kernel start to first user process; whole run of 'true' to power-off"
WL_KINDS="uml qemu"

wl_run() {
	local t=$1 t0 t1
	t0=$(date +%s.%N)
	guest "$t" -t 300 -- true
	t1=$(date +%s.%N)
	echo "metric to-init $(runner_field boot-to-init | tr -d s) s"
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "metric to-poweroff %.4f s\n", b - a }'
}
