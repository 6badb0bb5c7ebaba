/* dedupe_norm.h - what dedupe-clean compares records with: traditional to
 * simplified Chinese (OpenCC's t2s), normalisers for company names, person
 * names and addresses on top of the identity keys of keys.h, and string
 * similarities measured on Unicode code points (never bytes: 麦田 and 麥田
 * differ by one character, not three bytes). */
#ifndef SOP_DEDUPE_NORM_H
#define SOP_DEDUPE_NORM_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

/* Traditional -> simplified Chinese, character by character, from OpenCC's
 * t2s (t2s_table.h, made at build time); owned by its opener. */
typedef struct sop_t2s sop_t2s;
/* 70 with err set when there is no memory. */
int sop_t2s_open(sop_t2s **t, sop_error *err);
void sop_t2s_close(sop_t2s *t);
/* s in simplified characters into out (cap bytes, NUL-terminated); the
 * length, or (size_t)-1 when it does not fit or s is not valid UTF-8. */
size_t sop_t2s_convert(sop_t2s *t, const char *s, size_t len, char *out, size_t cap);

/* A company name for matching. */
enum { SOP_NORM_TEXT = 256 };
typedef struct sop_company_norm {
    char key[SOP_NORM_TEXT];  /* simplified, folded, legal forms and a leading city gone */
    char city[32];            /* the leading city or province taken off ("" none) */
    bool branch;              /* a branch (分公司, 分店, 办事处, branch): another customer */
    char branch_place[32];    /* where the branch is (北京 of ...北京分公司), "" unknown */
} sop_company_norm;

/* The name through t2s (may be NULL: none), then sop_key_company, then a
 * leading or bracketed province or city name ("上海麦田电商" and
 * "麦田(上海)电商" -> 麦田电商, city 上海) when at least three characters
 * remain; a branch's place is the last place name before its branch word,
 * else the two characters before it.  Returns the key's length, 0 when there is
 * no usable name. */
size_t sop_norm_company(sop_t2s *t, const char *s, size_t len, sop_company_norm *out);

/* A person's name or an address: through t2s, folded (NFKC, case), white
 * space and punctuation (· . , - ( ) 、 and their full-width forms) removed.
 * The length written to out (cap bytes), 0 when nothing is left. */
size_t sop_norm_text(sop_t2s *t, const char *s, size_t len, char *out, size_t cap);

/* A value as people should see it after cleaning (--normalize): through
 * t2s, NFKC (full-width digits, letters and brackets to ASCII), white
 * space collapsed to one space and trimmed; case and legal forms kept.
 * The length, or (size_t)-1 when it does not fit in cap or is not UTF-8. */
size_t sop_norm_display(sop_t2s *t, const char *s, size_t len, char *out, size_t cap);

/* Jaro-Winkler similarity (prefix scale 0.1, at most 4) of two UTF-8
 * strings over their code points, 0..1; 1 for two empty strings. */
double sop_jaro_winkler(const char *a, size_t alen, const char *b, size_t blen);
/* Jaccard similarity of the sets of adjacent code-point pairs (a string of
 * one code point is its own pair), 0..1; 1 for two empty strings. */
double sop_bigram_jaccard(const char *a, size_t alen, const char *b, size_t blen);

#endif
