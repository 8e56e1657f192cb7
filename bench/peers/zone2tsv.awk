# bench/peers/zone2tsv.awk - bench/bench.zone as flat records for the peers.
#
#   awk -f bench/peers/zone2tsv.awk bench/bench.zone > bench/out/spf-records.tsv
#
# One line per A, AAAA, MX and TXT record: OWNER<TAB>TYPE<TAB>DATA, owner
# absolute, lower case, without the final dot; MX data "PREF EXCHANGE"; TXT
# data the character-strings joined (as SPF reads them). SOA, NS and the
# $TIMEOUT test extension are left out: no benchmarked query asks for them.
# Reads the one-record-per-line subset of the master-file format that
# bench.zone is written in ($ORIGIN, @, relative owners, a blank owner
# repeating the last one, quoted strings, ; comments).
function tokenize(line,    i, c, cur, have, inq) {
    ntok = 0
    cur = ""
    have = 0
    inq = 0
    for (i = 1; i <= length(line); i++) {
        c = substr(line, i, 1)
        if (inq) {
            if (c == "\\") {
                i++
                cur = cur substr(line, i, 1)
            } else if (c == "\"") {
                inq = 0
                tok[++ntok] = cur
                quoted[ntok] = 1
                cur = ""
                have = 0
            } else {
                cur = cur c
            }
        } else if (c == "\"") {
            if (have) {
                tok[++ntok] = cur
                quoted[ntok] = 0
            }
            cur = ""
            have = 0
            inq = 1
        } else if (c == ";") {
            break
        } else if (c == " " || c == "\t") {
            if (have) {
                tok[++ntok] = cur
                quoted[ntok] = 0
                cur = ""
                have = 0
            }
        } else {
            cur = cur c
            have = 1
        }
    }
    if (have) {
        tok[++ntok] = cur
        quoted[ntok] = 0
    }
    return ntok
}
function absname(n) {
    if (n == "@")
        return origin
    if (n ~ /\.$/)
        return tolower(substr(n, 1, length(n) - 1))
    return tolower(origin == "" ? n : n "." origin)
}
{
    sub(/\r$/, "")
    n = tokenize($0)
    if (n == 0)
        next
    if (tok[1] == "$ORIGIN") {
        origin = absname(tok[2] ~ /\.$/ ? tok[2] : tok[2] ".")
        next
    }
    if (tok[1] ~ /^\$/)
        next
    k = 1
    if ($0 ~ /^[ \t]/) {
        owner = last
    } else {
        owner = absname(tok[1])
        k = 2
    }
    last = owner
    while (k <= n && (tok[k] ~ /^[0-9]+$/ || toupper(tok[k]) == "IN"))
        k++
    type = toupper(tok[k])
    k++
    if (type == "A" || type == "AAAA") {
        data = tok[k]
    } else if (type == "MX") {
        data = tok[k] " " absname(tok[k + 1])
    } else if (type == "TXT") {
        data = ""
        for (; k <= n; k++)
            data = data tok[k]
    } else {
        next
    }
    printf "%s\t%s\t%s\n", owner, type, data
}
