# SPDX-License-Identifier: MIT
# callgrind_annotate --inclusive=yes output -> CSV rows
#   icount,SIZE,PATTERN,VARIANT,CC,instr_per_call,N,N,N,1
# for every wrapper ic_KIND_VARIANT of icount.c (inclusive count / calls;
# per access for the alternating rw wrappers, which make two).
BEGIN {
    split("ld4:4B:rd st4:4B:wr ld8:8B:rd st8:8B:wr rd64:64B:rd wr64:64B:wr " \
          "rw4:4B:rw publish16:16B:publish consume16:16B:consume mb:fence:mb", kinds, " ")
    for (i in kinds) { split(kinds[i], f, ":"); size[f[1]] = f[2]; pat[f[1]] = f[3] }
    vname["acquire"] = "acqrel"; vname["release"] = "acqrel"
    vname["odma"] = "odma"; vname["seqcst"] = "seq_cst_fence"
}
{
    fn = ""
    for (i = 1; i <= NF; i++)
        if ($i ~ /:ic_/) { fn = $i; sub(/.*:/, "", fn) }
    if (fn !~ /^ic_[a-z0-9]+_[a-z_]+$/ || calls <= 0) next
    n = $1; gsub(/,/, "", n)
    k = fn; sub(/^ic_/, "", k); v = k; sub(/_.*/, "", k); sub(/^[a-z0-9]+_/, "", v)
    if (!(k in size)) next
    if (k == "mb") v = (v == "odma") ? "odma_mb" : vname[v]
    else if (v in vname && v != "odma") v = vname[v]
    # rw wrappers make two accesses per call: report per access.
    per = (pat[k] == "rw") ? n / calls / 2 : n / calls
    printf "icount,%s,%s,%s,%s,instr_per_call,%.2f,%.2f,%.2f,1\n", size[k], pat[k], v, cc, per, per, per
}
