/*
 * json.cc - the C face of simdjson's DOM parser (see json.h).
 * The only C++ in the project: everything else sees json_val.
 */
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <vector>
#include <simdjson.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "json.h"

using namespace simdjson;

/* The big-number fallback's copy of a text is at most this much longer:
 * ".0" after each integer beyond 64 bits, each at least 20 bytes. */
static size_t
grown(size_t len)
{
	return len + len / 8 + 16;
}

struct json_parser {
	dom::parser parser;	/* takes a rewritten text up to grown(max) */
	size_t max;		/* the longest text accepted */
	/* the fallback only (parse_big): a private copy of the text
	 * and the ordinals of its numbers that no double holds */
	std::unique_ptr<char[]> copy;
	size_t copycap = 0;
	std::vector<size_t> huge;
	explicit json_parser(size_t m) : parser(grown(m)), max(m) {}
};

static_assert(sizeof(dom::element) <= sizeof(((json_val *)0)->opaque),
    "dom::element does not fit json_val");
static_assert(2 * sizeof(dom::array::iterator) <=
    sizeof(((json_iter *)0)->opaque), "array iterators do not fit json_iter");
static_assert(2 * sizeof(dom::object::iterator) <=
    sizeof(((json_iter *)0)->opaque), "object iterators do not fit json_iter");

static const dom::element &
elem(const json_val *v)
{
	return *reinterpret_cast<const dom::element *>(v->opaque);
}

static void
set(json_val *v, dom::element e)
{
	new (v->opaque) dom::element(e);
	switch (e.type()) {
	case dom::element_type::ARRAY:	v->type = JSON_ARRAY; break;
	case dom::element_type::OBJECT:	v->type = JSON_OBJECT; break;
	case dom::element_type::INT64:	v->type = JSON_INT; break;
	case dom::element_type::UINT64:	v->type = JSON_UINT; break;
	case dom::element_type::DOUBLE:	/* infinite: see parse_big() */
		v->type = std::isfinite(double(e)) ? JSON_DOUBLE : JSON_HUGE;
		break;
	case dom::element_type::STRING:	v->type = JSON_STRING; break;
	case dom::element_type::BOOL:	v->type = JSON_BOOL; break;
	default:			v->type = JSON_NULL; break;
	}
}

extern "C" json_parser *
json_parser_new(size_t max_len)
{
	try {
		return new json_parser(max_len);
	} catch (...) {
		return nullptr;
	}
}

extern "C" void
json_parser_free(json_parser *p)
{
	delete p;
}

/* Our message style: short, lowercase, what is wrong with the input. */
static const char *
message(error_code ec)
{
	switch (ec) {
	case UTF8_ERROR:	return "invalid UTF-8";
	case DEPTH_ERROR:	return "JSON nested too deep";
	case NUMBER_ERROR:	return "invalid JSON: bad or out-of-range number";
	case STRING_ERROR:	return "invalid JSON: bad string";
	case UNESCAPED_CHARS:	return "invalid JSON: control character in a string";
	case UNCLOSED_STRING:	return "invalid JSON: unclosed string";
	case T_ATOM_ERROR:
	case F_ATOM_ERROR:
	case N_ATOM_ERROR:	return "invalid JSON: bad literal";
	case EMPTY:		return "empty JSON text";
	case CAPACITY:		return "JSON text too large";
	case MEMALLOC:		return "out of memory";
	case INCOMPLETE_ARRAY_OR_OBJECT: return "invalid JSON: truncated";
	default:		return "invalid JSON";
	}
}

/*
 * The big-number fallback.  simdjson 3.0.1's DOM refuses an integer
 * beyond 64 bits (NUMBER_ERROR, like any bad number), and a number beyond
 * a double.  Both are valid JSON, so a text refused that way is parsed
 * again from a copy in which the first are floats of the same value and
 * the second are 0.0, patched to an infinity on the tape afterwards: a
 * JSON_HUGE, which is no number to json_double() (that member's failure,
 * not the text's).  Callers keep the original bytes for what they pass
 * on; only this parse sees the copy.  Texts without such numbers never
 * come here: the first parse succeeds.
 */
enum num_class { NUM_OK, NUM_BIGINT, NUM_HUGE };

/* One past the string whose quote is t[q] (n when unclosed); memchr
 * runs over the long texts at memory speed. */
static size_t
string_end(const char *t, size_t n, size_t q)
{
	const char *p;
	size_t i = q + 1, k;

	while (i < n && (p = (const char *)memchr(t + i, '"', n - i))) {
		i = size_t(p - t);
		for (k = i; k > q + 1 && t[k - 1] == '\\'; k--)
			;
		if ((i - k) % 2 == 0)
			return i + 1;
		i++;
	}
	return n;
}

/* The next number literal outside strings in t[*pos..n): 1 with its
 * bounds [*s, *e), 0 at the end. */
static int
next_number(const char *t, size_t n, size_t *pos, size_t *s, size_t *e)
{
	size_t i = *pos;

	while (i < n) {
		char c = t[i];
		if (c == '"') {
			i = string_end(t, n, i);
		} else if (c == '-' || (c >= '0' && c <= '9')) {
			*s = i;
			while (i < n && ((t[i] >= '0' && t[i] <= '9') ||
			    t[i] == '-' || t[i] == '+' || t[i] == '.' ||
			    t[i] == 'e' || t[i] == 'E'))
				i++;
			*e = *pos = i;
			return 1;
		} else
			i++;
	}
	*pos = n;
	return 0;
}

/* Does the integer literal s[0..n) fit int64 or uint64?  Yes also for
 * what is no integer at all: the parser will say what is wrong. */
static bool
fits64(const char *s, size_t n)
{
	bool neg = n > 0 && s[0] == '-';
	const char *d = s + neg, *lim = neg ? "9223372036854775808" :
	    "18446744073709551615";
	size_t nd = n - neg, nl = strlen(lim);

	for (size_t i = 0; i < nd; i++)
		if (d[i] < '0' || d[i] > '9')
			return true;
	return nd < nl || (nd == nl && memcmp(d, lim, nl) <= 0);
}

/* Below 10^308 < DBL_MAX for sure: at most 308 digits before the point,
 * exponent included.  Most floats are decided here, without strtod. */
static bool
small(const char *s, size_t n)
{
	size_t i = s[0] == '-', digits = 0;
	long exp = 0, sign = 1;

	while (i < n && s[i] >= '0' && s[i] <= '9')
		i++, digits++;
	while (i < n && s[i] != 'e' && s[i] != 'E')
		i++;
	if (i < n && ++i < n && (s[i] == '-' || s[i] == '+'))
		sign = s[i++] == '-' ? -1 : 1;
	for (; i < n && s[i] >= '0' && s[i] <= '9' && exp < 100000; i++)
		exp = exp * 10 + (s[i] - '0');
	return (long)digits + sign * exp <= 308;
}

static size_t
digits(const char *s, size_t n, size_t i)
{
	while (i < n && s[i] >= '0' && s[i] <= '9')
		i++;
	return i;
}

/* Is s[0..n) a JSON number, by RFC 8259's grammar?  Only those are
 * rewritten: a bad one must stay bad for the parser to refuse. */
static bool
valid(const char *s, size_t n)
{
	size_t i = s[0] == '-', j;

	if (i < n && s[i] == '0')
		i++;
	else if ((j = digits(s, n, i)) > i)
		i = j;
	else
		return false;
	if (i < n && s[i] == '.') {
		if ((j = digits(s, n, i + 1)) == i + 1)
			return false;
		i = j;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < n && (s[i] == '-' || s[i] == '+'))
			i++;
		if ((j = digits(s, n, i)) == i)
			return false;
		i = j;
	}
	return i == n;
}

/* s[0..n) is a literal followed by a NUL. */
static num_class
classify(const char *s, size_t n)
{
	bool integer = !memchr(s, '.', n) && !memchr(s, 'e', n) &&
	    !memchr(s, 'E', n);
	char *end;
	double d;

	if (!valid(s, n) || (integer && fits64(s, n)))
		return NUM_OK;
	if (small(s, n))
		return integer ? NUM_BIGINT : NUM_OK;
	/* correctly rounded, as simdjson's: they agree on what overflows
	 * (the tools never set LC_NUMERIC, so '.' is the decimal point) */
	d = strtod(s, &end);
	if (end == s)
		return NUM_OK;
	if (std::isinf(d))
		return NUM_HUGE;
	return integer ? NUM_BIGINT : NUM_OK;
}

/* Copy t[0..n) into p->copy, rewritten as above; returns its length, or
 * 0 when nothing needed rewriting (the text is bad for other reasons). */
static size_t
rewrite(json_parser *p, const char *t, size_t n)
{
	char *dst = p->copy.get();
	size_t pos = 0, from = 0, o = 0, s, e, ord = 0;
	bool changed = false;

	p->huge.clear();
	for (; next_number(t, n, &pos, &s, &e); ord++) {
		memcpy(dst + o, t + from, e - from);
		o += e - from;
		from = e;
		dst[o] = 0;
		switch (classify(dst + o - (e - s), e - s)) {
		case NUM_OK:
			break;
		case NUM_BIGINT:
			memcpy(dst + o, ".0", 2);
			o += 2;
			changed = true;
			break;
		case NUM_HUGE:	/* at least "1e309": room for "0.0" */
			memset(dst + o - (e - s), ' ', e - s);
			memcpy(dst + o - (e - s), "0.0", 3);
			p->huge.push_back(ord << 1 | (t[s] == '-'));
			changed = true;
			break;
		}
	}
	memcpy(dst + o, t + from, n - from);
	o += n - from;
	memset(dst + o, 0, SIMDJSON_PADDING);
	return changed ? o : 0;
}

/* Numbers are on the tape in text order, two words each: make the huge
 * ones infinities. */
static void
patch(json_parser *p)
{
	uint64_t *tape = p->parser.doc.tape.get();
	size_t end = size_t(tape[0] & internal::JSON_VALUE_MASK), k = 0, ord = 0;

	for (size_t i = 1; i < end && k < p->huge.size(); i++) {
		char t = char(tape[i] >> 56);
		if (t != 'l' && t != 'u' && t != 'd')
			continue;
		if (ord++ == p->huge[k] >> 1) {
			double inf = p->huge[k++] & 1 ? -HUGE_VAL : HUGE_VAL;
			tape[i] = uint64_t('d') << 56;
			memcpy(&tape[i + 1], &inf, sizeof inf);
		}
		i++;
	}
}

static error_code
parse_big(json_parser *p, const char *buf, size_t len, dom::element &e)
{
	size_t need = grown(len) + SIMDJSON_PADDING, n;
	error_code ec;

	try {
		if (p->copycap < need) {
			p->copy.reset();
			p->copy.reset(new char[need]);
			p->copycap = need;
		}
		n = rewrite(p, buf, len);
	} catch (...) {
		return MEMALLOC;
	}
	ec = n == 0 ? NUMBER_ERROR : p->parser.parse(p->copy.get(), n,
	    false).get(e);
	if (ec == SUCCESS)
		patch(p);
	/* a long line's copy is not worth keeping for the next rare one */
	if (p->copycap > (1u << 20)) {
		p->copy.reset();
		p->copycap = 0;
	}
	if (p->huge.capacity() > 4096)
		std::vector<size_t>().swap(p->huge);
	return ec;
}

static const char BOM[] = "\xEF\xBB\xBF";

extern "C" int
json_parse(json_parser *p, const char *buf, size_t len, int padded,
    json_val *root, const char **err)
{
	dom::element e;
	error_code ec;

	if (len > p->max)
		ec = CAPACITY;
	else if (len == 0)
		ec = EMPTY;	/* and buf may be NULL: an empty body */
	else if ((ec = p->parser.parse(buf, len, !padded).get(e)) ==
	    NUMBER_ERROR)
		ec = parse_big(p, buf, len, e);
	if (ec) {
		*err = message(ec);
		/* editors on Windows add one; simdjson only sees bad JSON */
		if (len >= 3 && memcmp(buf, BOM, 3) == 0)
			*err = "invalid JSON: starts with a byte order mark "
			    "(U+FEFF); save the file without it";
		root->type = JSON_ABSENT;
		return -1;
	}
	set(root, e);
	return 0;
}

extern "C" void
json_get(const json_val *obj, const char *key, json_val *out)
{
	size_t n = strlen(key);

	/* the last of duplicate keys, as jq: read on after a match */
	out->type = JSON_ABSENT;
	if (obj->type != JSON_OBJECT)
		return;
	dom::object o(elem(obj));
	for (auto it = o.begin(), end = o.end(); it != end; ++it)
		if (it.key_length() == n && memcmp(it.key_c_str(), key, n) == 0)
			set(out, it.value());
}

extern "C" void
json_pick(const json_val *obj, const char *const *names, size_t n,
    json_val *slots)
{
	/* names are sorted, so those sharing a first byte are adjacent:
	 * index them by it once, then each key is checked against a few.
	 * A later duplicate key overwrites its slot: the last wins, as in
	 * json_get(). */
	unsigned char lo[256], hi[256];

	for (size_t i = 0; i < n; i++)
		slots[i].type = JSON_ABSENT;
	if (obj->type != JSON_OBJECT || n == 0 || n > 255)
		return;
	memset(hi, 0, sizeof hi);
	for (size_t i = n; i-- > 0;) {
		unsigned char c = (unsigned char)names[i][0];
		if (hi[c] == 0)
			hi[c] = (unsigned char)(i + 1);
		lo[c] = (unsigned char)i;
	}
	dom::object o(elem(obj));
	for (dom::key_value_pair kv : o) {
		std::string_view k = kv.key;
		unsigned char c = k.empty() ? 0 : (unsigned char)k[0];
		if (k.empty() || hi[c] == 0)
			continue;
		for (size_t i = lo[c]; i < hi[c]; i++) {
			const char *nm = names[i];
			size_t j = 1;
			/* never read past nm's NUL: no memcmp of k.size() */
			while (j < k.size() && nm[j] != 0 && nm[j] == k[j])
				j++;
			if (j == k.size() && nm[j] == 0) {
				set(&slots[i], kv.value);
				break;
			}
		}
	}
}

extern "C" int
json_names_sorted(const char *const *names, size_t n)
{
	for (size_t i = 1; i < n; i++)
		if (strcmp(names[i - 1], names[i]) >= 0)
			return 0;
	return 1;
}

extern "C" const char *
json_str(const json_val *v, size_t *len)
{
	std::string_view s;
	if (v->type != JSON_STRING || elem(v).get(s))
		return nullptr;
	if (len)
		*len = s.size();
	return s.data();
}

extern "C" int
json_bool(const json_val *v, int *b)
{
	bool x;
	if (v->type != JSON_BOOL || elem(v).get(x))
		return -1;
	*b = x;
	return 0;
}

extern "C" int
json_double(const json_val *v, double *d)
{
	switch (v->type) {
	case JSON_INT:
		*d = (double)int64_t(elem(v));
		return 0;
	case JSON_UINT:
		*d = (double)uint64_t(elem(v));
		return 0;
	case JSON_DOUBLE:
		*d = double(elem(v));
		return 0;
	}
	return -1;
}

extern "C" int
json_int64(const json_val *v, int64_t *i)
{
	if (v->type != JSON_INT)
		return -1;
	*i = int64_t(elem(v));
	return 0;
}

extern "C" int
json_uint64(const json_val *v, uint64_t *u)
{
	if (v->type != JSON_UINT)
		return -1;
	*u = uint64_t(elem(v));
	return 0;
}

extern "C" size_t
json_count(const json_val *v)
{
	if (v->type == JSON_ARRAY)
		return dom::array(elem(v)).size();
	if (v->type == JSON_OBJECT)
		return dom::object(elem(v)).size();
	return 0;
}

extern "C" void
json_iter_init(json_iter *it, const json_val *c)
{
	it->type = c->type;
	if (c->type == JSON_ARRAY) {
		dom::array a(elem(c));
		dom::array::iterator *p =
		    reinterpret_cast<dom::array::iterator *>(it->opaque);
		new (&p[0]) dom::array::iterator(a.begin());
		new (&p[1]) dom::array::iterator(a.end());
	} else if (c->type == JSON_OBJECT) {
		dom::object o(elem(c));
		dom::object::iterator *p =
		    reinterpret_cast<dom::object::iterator *>(it->opaque);
		new (&p[0]) dom::object::iterator(o.begin());
		new (&p[1]) dom::object::iterator(o.end());
	} else {
		it->type = JSON_ABSENT;
	}
}

extern "C" int
json_iter_next(json_iter *it, const char **key, size_t *keylen, json_val *val)
{
	if (it->type == JSON_ARRAY) {
		dom::array::iterator *p =
		    reinterpret_cast<dom::array::iterator *>(it->opaque);
		if (!(p[0] != p[1]))
			return 0;
		set(val, *p[0]);
		++p[0];
		if (key)
			*key = nullptr;
		return 1;
	}
	if (it->type == JSON_OBJECT) {
		dom::object::iterator *p =
		    reinterpret_cast<dom::object::iterator *>(it->opaque);
		if (!(p[0] != p[1]))
			return 0;
		std::string_view k = p[0].key();
		if (key)
			*key = k.data();
		if (keylen)
			*keylen = k.size();
		set(val, p[0].value());
		++p[0];
		return 1;
	}
	return 0;
}

extern "C" size_t
json_dtoa(double d, char *out)
{
	/* simdjson's shortest round-trip formatting (exported, internal). */
	char *end = simdjson::internal::to_chars(out, out + 32, d);
	*end = 0;
	return (size_t)(end - out);
}

/*
 * buf's length without its trailing white space when it has none outside
 * its strings elsewhere, that is, when it is minified already but for a
 * final newline; else (size_t)-1.  Most payloads are (the APIs answer
 * minified; a dump's bare objects were written so), and finding it out
 * is more than twice as fast as simdjson::minify (0.24 s against 0.57 s
 * for 471 MB of Gamma markets): within a string, 16 bytes at a time up
 * to a quote or a backslash.  A string left open or a backslash outside
 * one answer no: simdjson then decides, as before.
 */
static size_t
minified(const char *buf, size_t len)
{
	const unsigned char *s = (const unsigned char *)buf, *e = s + len;
	const unsigned char *end;
	unsigned char c;

	while (s < e) {
		c = *s++;
		if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
			for (end = s - 1; s < e && (*s == ' ' || *s == '\t' ||
			    *s == '\n' || *s == '\r'); s++)
				;
			return s == e ? (size_t)(end - (const unsigned char *)
			    buf) : (size_t)-1;
		}
		if (c == '\\')
			return (size_t)-1;
		if (c != '"')
			continue;
		for (;;) {	/* in a string: to its closing quote */
#ifdef __SSE2__
			const __m128i q = _mm_set1_epi8('"'),
			    bs = _mm_set1_epi8('\\');
			int m = 0;
			for (; e - s >= 16; s += 16) {
				__m128i v = _mm_loadu_si128((const __m128i *)s);
				if ((m = _mm_movemask_epi8(_mm_or_si128(
				    _mm_cmpeq_epi8(v, q), _mm_cmpeq_epi8(v, bs)))))
					break;
			}
			s += m ? __builtin_ctz(m) : 0;
#endif
			while (s < e && *s != '"' && *s != '\\')
				s++;
			if (s == e)
				return (size_t)-1;
			if (*s++ == '"')
				break;
			if (s++ == e)	/* the escaped byte */
				return (size_t)-1;
		}
	}
	return len;
}

extern "C" size_t
json_minify(const char *buf, size_t len, char *dst)
{
	size_t n = minified(buf, len);
	if (n != (size_t)-1) {
		memcpy(dst, buf, n);
		return n;
	}
	if (simdjson::minify(buf, len, dst, n))
		return (size_t)-1;
	return n;
}

/* The code unit of the \uXXXX escape at t[0..6) (t[0] the backslash),
 * or -1 when it is not one. */
static long
u_escape(const char *t, const char *e)
{
	long v = 0;
	int i;

	if (e - t < 6 || t[0] != '\\' || t[1] != 'u')
		return -1;
	for (i = 2; i < 6; i++) {
		int c = (unsigned char)t[i];
		int d = c >= '0' && c <= '9' ? c - '0' :
		    c >= 'a' && c <= 'f' ? c - 'a' + 10 :
		    c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
		if (d < 0)
			return -1;
		v = v * 16 + d;
	}
	return v;
}

/* A backslash can only stand in a string (anywhere else the text is no
 * JSON, and json_parse() says so), so the escapes are found without
 * following the strings. */
extern "C" size_t
json_fix_surrogates(char *t, size_t n)
{
	char *s = t, *e = t + n;
	size_t fixed = 0;
	long u, next;

	if (n == 0)
		return 0;	/* t may be NULL: an empty body */
	while ((s = (char *)memchr(s, '\\', (size_t)(e - s))) != NULL) {
		if ((u = u_escape(s, e)) < 0xD800 || u > 0xDFFF) {
			s += e - s >= 2 ? 2 : 1;	/* and the escaped byte */
			continue;
		}
		if (u <= 0xDBFF && (next = u_escape(s + 6, e)) >= 0xDC00 &&
		    next <= 0xDFFF) {
			s += 12;	/* a pair: a character */
			continue;
		}
		memcpy(s, "\\ufffd", 6);
		fixed++;
		s += 6;
	}
	return fixed;
}

#define PM_STR_(x) #x
#define PM_STR(x) PM_STR_(x)
extern "C" const char *
json_lib_version(void)
{
	return PM_STR(SIMDJSON_VERSION);
}
