#!/bin/sh
# clnn-info over fake devices (tests/fake_devices_shim.c, LD_PRELOADed by
# ctest): every device shows its rank and the reason, in text and in --json,
# the selected one is marked ('*', "selected": true), and an unavailable
# device is still listed, with why. The expected values are written by hand
# from the ranking rules in include/clnn/clnn.h.
# Usage: check_info_rank.sh CLNN_INFO
set -u
info="$1"
command -v jq > /dev/null 2>&1 || { echo "SKIP: jq not found (apt-get install jq)"; exit 77; }
case "${LD_PRELOAD:-}" in
*fake_devices_shim*) ;;
*) echo "FAIL: run under LD_PRELOAD=.../libclnn_fake_devices_shim.so (ctest sets it)"; exit 1 ;;
esac
unset CLNN_DEVICE
pass=0; fail=0
check() { what="$1"; shift; if "$@"; then pass=$((pass+1)); else fail=$((fail+1)); echo "FAIL: $what"; fi; }
# has TEXT LINE: TEXT contains LINE as a whole line
has() { printf '%s\n' "$1" | grep -qxF -- "$2"; }

# PoCL's CPU first, an AMD GPU, the simulator, an unavailable GPU
export CLNN_FAKE_DEVICES="platform=Portable Computing Language,type=cpu,vendor=AuthenticAMD,name=pthread-AMD EPYC,cu=64,mhz=2600,unified=1;\
platform=AMD Accelerated Parallel Processing,type=gpu,vendor=Advanced Micro Devices Inc.,name=gfx90a,cu=110,mhz=1700;\
platform=Oclgrind,type=cpu|gpu|accelerator|default,vendor=Oclgrind,name=Oclgrind Simulator,cu=1,mhz=1;\
platform=NVIDIA CUDA,type=gpu,vendor=NVIDIA Corporation,name=NVIDIA A100,cu=108,mhz=1410,available=0"

out=$("$info"); rc=$?
printf '%s\n' "$out"
check "exit 0" [ "$rc" -eq 0 ]
check "4 devices" sh -c 'printf "%s\n" "$1" | grep -q "^clnn .*: 4 OpenCL device(s)$"' - "$out"
check "default marks the GPU" has "$out" "* [1] gfx90a"
check "CPU unmarked" has "$out" "  [0] pthread-AMD EPYC"
check "rank of the GPU" has "$out" "      rank            0: discrete GPU, 110 CU x 1700 MHz"
check "rank of the CPU" has "$out" "      rank            1: CPU, 64 CU x 2600 MHz"
check "rank of the simulator" has "$out" \
    "      rank            2: simulator: reports CPU|GPU|ACCELERATOR, chosen only by name or index"
check "simulator type" has "$out" "      type            other (CL_DEVICE_TYPE 0xf)"
check "unavailable listed" has "$out" "  [3] NVIDIA A100"
check "unavailable reason" has "$out" "      rank            3: unavailable: CL_DEVICE_AVAILABLE is false"
check "selected line" has "$out" \
    "selected: [1] (the default: best-ranked GPU, CPU or accelerator; CLNN_DEVICE unset)"

out=$(CLNN_DEVICE=oclgrind "$info")
check "CLNN_DEVICE=oclgrind marks the simulator" has "$out" "* [2] Oclgrind Simulator"
check "CLNN_DEVICE named" has "$out" "selected: [2] (CLNN_DEVICE=oclgrind)"
out=$("$info" --device cpu)
check "--device cpu marks the CPU" has "$out" "* [0] pthread-AMD EPYC"
check "--device named" has "$out" "selected: [0] (--device cpu)"
out=$("$info" --device 3); rc=$?
check "an unavailable index is refused" [ "$rc" -ne 0 ]
check "refusal says why" sh -c 'printf "%s\n" "$1" | grep -q "^selection: .*\[3\] NVIDIA A100, which is unavailable"' - "$out"

json=$("$info" --json); rc=$?
check "--json exit 0" [ "$rc" -eq 0 ]
# jq -e q: q must hold on the JSON output
q() { printf '%s\n' "$json" | jq -e "$1" > /dev/null; }
check "json: 4 devices" q '.devices | length == 4'
check "json: ranks by index" q '[.devices[].rank] == [1, 0, 2, 3]'
check "json: selected" q '[.devices[] | select(.selected) | .index] == [1]'
check "json: reasons" q '.devices[1].rank_reason == "discrete GPU, 110 CU x 1700 MHz" and
    .devices[0].rank_reason == "CPU, 64 CU x 2600 MHz" and
    (.devices[2].rank_reason | startswith("simulator: reports CPU|GPU|ACCELERATOR")) and
    .devices[3].rank_reason == "unavailable: CL_DEVICE_AVAILABLE is false"'
check "json: available" q '[.devices[].available] == [true, true, true, false]'
check "json: types" q '[.devices[].type] == ["cpu", "gpu", "other", "gpu"] and .devices[2].cl_device_type == 15'
check "json: unified memory" q '[.devices[].host_unified_memory] == [true, false, false, false]'
check "json: no selection error" q 'has("selection_error") | not'

json=$(CLNN_DEVICE=gpu-that-is-not-there "$info" --json)
check "json: selection error lists devices" q '.selection_error | contains("[3] NVIDIA A100")'
check "json: nothing selected" q '[.devices[] | select(.selected)] == []'

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
