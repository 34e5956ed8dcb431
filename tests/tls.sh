# shellcheck shell=bash
# tests/tls.sh - a throwaway CA and server certificates for the TLS tests,
# made at test time with the openssl CLI in the test's temp dir (source it
# after lib.sh).  Nothing here is ever trusted outside the test that made it.
#
#   tls_ca DIR             a CA: DIR/ca.pem (certificate), DIR/ca.key
#   tls_cert DIR NAME SAN  a server certificate signed by DIR's CA for the
#                          subjectAltName SAN (e.g. IP:127.0.0.1,DNS:localhost):
#                          DIR/NAME.pem and DIR/NAME.key
#
# Keys are P-256 (fast to make); certificates last two days.

tls_ca() {
	local d=$1
	mkdir -p "$d"
	cat >"$d/openssl.cnf" <<'CNF'
[req]
distinguished_name = dn
[dn]
[ca]
basicConstraints = critical, CA:true
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[server]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = ${ENV::TLS_SAN}
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
CNF
	TLS_SAN='' openssl req -x509 -new -newkey ec \
	    -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
	    -subj "/CN=pm test CA $$" -config "$d/openssl.cnf" -extensions ca \
	    -keyout "$d/ca.key" -out "$d/ca.pem" 2>"$d/openssl.log" ||
	    { cat "$d/openssl.log" >&2; return 1; }
}

tls_cert() {
	local d=$1 name=$2 san=$3
	if ! { TLS_SAN=$san openssl req -new -newkey ec \
	    -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=pm test server" \
	    -config "$d/openssl.cnf" -keyout "$d/$name.key" \
	    -out "$d/$name.csr" 2>"$d/openssl.log" &&
	    TLS_SAN=$san openssl x509 -req -in "$d/$name.csr" -CA "$d/ca.pem" \
	    -CAkey "$d/ca.key" -set_serial "0x$(openssl rand -hex 8)" -days 2 \
	    -extfile "$d/openssl.cnf" -extensions server \
	    -out "$d/$name.pem" 2>>"$d/openssl.log"; }; then
		cat "$d/openssl.log" >&2
		return 1
	fi
}
