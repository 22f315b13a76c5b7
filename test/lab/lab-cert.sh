#!/bin/sh
# A self-signed TLS certificate for the lab's nginx, valid from now for DAYS days (DAYS <= 0:
# one that expired -DAYS days ago, -1 hour), for any notAfter: `openssl ca` takes explicit dates
# where `openssl req -x509 -days` only takes a positive count.
#   lab-cert.sh DIR DAYS CN ADDR   writes DIR/cert.pem and DIR/key.pem (EC P-256) for CN and the
#   address ADDR (the sys of the lab that runs it: each lab has its own)
set -eu
dir=$1 days=$2 cn=$3 addr=${4:?lab-cert.sh DIR DAYS CN ADDR}
now=$(date -u +%s)
end=$((now + days * 86400))
[ "$days" -gt 0 ] && start=$((now - 3600)) || { end=$((end - 3600)); start=$((end - 30 * 86400)); }
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
cat > "$t/ca.cnf" <<CONF
[ca]
default_ca = lab
[lab]
database = $t/index.txt
new_certs_dir = $t
serial = $t/serial
default_md = sha256
policy = any
copy_extensions = copy
unique_subject = no
[any]
commonName = supplied
CONF
: > "$t/index.txt"
od -An -N8 -tx1 /dev/urandom | tr -d ' \n' > "$t/serial"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$t/key.pem" \
  -out "$t/req.csr" -subj "/CN=$cn" -addext "subjectAltName=DNS:$cn,IP:$addr,IP:127.0.0.1" 2>/dev/null
openssl ca -batch -config "$t/ca.cnf" -selfsign -keyfile "$t/key.pem" -in "$t/req.csr" -out "$t/cert.pem" \
  -notext -startdate "$(date -u -d "@$start" +%Y%m%d%H%M%SZ)" -enddate "$(date -u -d "@$end" +%Y%m%d%H%M%SZ)" \
  2>/dev/null
mkdir -p "$dir"
install -m 600 "$t/key.pem" "$dir/key.pem.new" && mv "$dir/key.pem.new" "$dir/key.pem"
install -m 644 "$t/cert.pem" "$dir/cert.pem.new" && mv "$dir/cert.pem.new" "$dir/cert.pem"
