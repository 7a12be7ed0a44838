# beskar7 initramfs helpers (busybox sh), sourced by /init of both images.
# Every message goes to the console prefixed with "$B7_TAG:" and the uptime.

B7_TAG=${B7_TAG:-beskar7-init}
B7_MODULES=/etc/beskar7/modules
B7_NET_WAIT=${B7_NET_WAIT:-20}
B7_CMDLINE=${B7_CMDLINE:-/proc/cmdline}

log() {
    read -r up _ < /proc/uptime 2>/dev/null || up=?
    echo "$B7_TAG: [$up] $*"
}

# The kernel command line with the bearer token replaced: safe to print.
redacted_cmdline() {
    sed -e 's/beskar7\.token=\("[^"]*"\|[^ ]*\)/beskar7.token=<redacted>/g' "$B7_CMDLINE"
}

# The value of kernel parameter $1 (surrounding double quotes removed), empty if absent.
param() {
    for word in $(cat "$B7_CMDLINE"); do
        case "$word" in
            "$1"=*) value=${word#*=}; value=${value#\"}; echo "${value%\"}"; return 0 ;;
        esac
    done
    return 1
}

mount_base() {
    mkdir -p /dev /proc /sys /run /tmp
    mount -t devtmpfs devtmpfs /dev 2>/dev/null
    exec </dev/console >/dev/console 2>&1
    mount -t proc proc /proc
    mount -t sysfs sysfs /sys
    mount -t tmpfs -o mode=0755,nosuid,nodev tmpfs /run
    mkdir -p /dev/pts /run/beskar7
    log "mounted /proc /sys /dev (devtmpfs) /run; kernel $(uname -r)"
}

load_modules() {
    [ -f "$B7_MODULES" ] || return 0
    loaded=""
    while read -r file; do
        case "$file" in ""|"#"*) continue ;; esac
        name=${file##*/}; name=${name%.ko}
        if insmod "/lib/modules/$(uname -r)/$file" 2>/tmp/insmod.err; then
            loaded="$loaded $name"
        elif ! grep -q "exists" /tmp/insmod.err; then
            log "insmod $name failed: $(cat /tmp/insmod.err)"
        fi
    done < "$B7_MODULES"
    log "loaded modules:$loaded"
}

# BOOTIF=01-aa-bb-cc-dd-ee-ff -> aa:bb:cc:dd:ee:ff (lower case), empty without BOOTIF.
bootif_mac() {
    value=$(param BOOTIF) || return 0
    echo "${value#01-}" | tr 'A-F-' 'a-f:'
}

# Ethernet interfaces backed by a device, one per line.
ethernet_nics() {
    for dev in /sys/class/net/*; do
        [ -e "$dev/device" ] && [ "$(cat "$dev/type" 2>/dev/null)" = 1 ] && echo "${dev##*/}"
    done
}

# The NIC with the BOOTIF MAC, else the first ethernet NIC; waits for drivers to probe.
pick_nic() {
    want=$(bootif_mac)
    waited=0
    while [ "$waited" -lt "$B7_NET_WAIT" ]; do
        first=""
        for nic in $(ethernet_nics); do
            [ -n "$first" ] || first=$nic
            [ "$(cat "/sys/class/net/$nic/address")" = "$want" ] && { echo "$nic"; return 0; }
        done
        [ -n "$first" ] && [ -z "$want" ] && { echo "$first"; return 0; }
        sleep 1; waited=$((waited + 1))
    done
    [ -n "$first" ] && { echo "$first"; return 0; }
    return 1
}

network_up() {
    ip link set lo up
    want=$(bootif_mac)
    if ! nic=$(pick_nic); then
        log "no ethernet NIC found (BOOTIF=${want:-none})"
        return 1
    fi
    mac=$(cat "/sys/class/net/$nic/address")
    [ -n "$want" ] && [ "$mac" != "$want" ] && log "no NIC has BOOTIF $want; using $nic"
    log "bringing up $nic ($mac) with DHCP"
    ip link set "$nic" up
    for attempt in 1 2 3; do
        if udhcpc -i "$nic" -n -q -t 5 -T 2 -s /etc/udhcpc/default.script >/tmp/udhcpc.log 2>&1; then
            log "$nic: $(ip -4 -o addr show dev "$nic" | awk '{print $4}'), default via $(ip route | awk '/^default/ {print $3}')"
            return 0
        fi
        log "DHCP attempt $attempt on $nic failed: $(tail -n 1 /tmp/udhcpc.log)"
    done
    return 1
}

# Wait $1 seconds so the console can be read, then power off (never returns).
power_off() {
    log "powering off in ${1:-0}s"
    sleep "${1:-0}"
    sync
    poweroff -f
}
