# SPDX-License-Identifier: MIT
# The icount rows of results.csv as a markdown table (awk -F,).
$1 == "icount" {
    val[$2 " " $3 " " $4, $5] = $7
    if ($4 == "raw") raw[$2 " " $3, $5] = $7
}
function diff(p, key, cc) {
    return ((p, cc) in raw) ? sprintf("%+.1f", val[key, cc] - raw[p, cc]) : "-"
}
END {
    np = split("4B rd,4B wr,4B rw,8B rd,8B wr,64B rd,64B wr,16B publish,16B consume,fence mb", ps, ",")
    nv = split("raw relaxed strict pcie acqrel handtuned odma qemu odma_mb seq_cst_fence", vs, " ")
    for (i = 1; i <= np; i++) for (j = 1; j <= nv; j++) {
        k = ps[i] " " vs[j]
        if (!((k, "gcc") in val) || !((k, "clang") in val)) continue
        printf "| %s | %.1f | %s | %.1f | %s |\n", k, val[k, "gcc"], diff(ps[i], k, "gcc"), val[k, "clang"], diff(ps[i], k, "clang")
    }
}
