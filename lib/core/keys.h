/* keys.h - identity keys: company names, phone numbers and e-mail addresses
 * reduced to a canonical form, so that "（上海）麦田电商有限公司" and
 * "麦田电商 Co., Ltd." or "+86 139-1234-5678" and "13912345678" compare
 * equal.  lead-assign uses them to see that a new lead belongs to an account
 * that already has an owner; a de-duplication tool reuses them.
 *
 * Pure functions over (pointer, length); no global state.  The only
 * allocation is utf8proc's, inside sop_text_fold (NFKC + case folding).
 *
 * Each writes a NUL-terminated key into out (cap bytes) and returns its
 * length, or 0 when the value gives no usable identity: empty, a placeholder
 * ("未知", "test@test.com", "11111111111"), too long for cap, or invalid
 * UTF-8.  On 0, out holds "" (when cap > 0). */
#ifndef SOP_KEYS_H
#define SOP_KEYS_H

#include <stddef.h>

/* Company name: folded (NFKC + case fold), white space removed, a bracketed
 * part at the very start ("(上海)", "【上海】", "[上海]") removed, then trailing
 * legal forms (股份有限公司, 有限责任公司, 集团有限公司, 有限公司, 集团, 公司,
 * Co., Ltd., Ltd, Inc, LLC, Corp, GmbH) and trailing . , ; 。 stripped
 * repeatedly.  Latin legal forms are stripped only after a non-alphanumeric
 * character ("Zinc" stays "zinc"; "Acme Inc" -> "acme").  A name ending in
 * 分公司 (branch) keeps its legal forms.  cap must hold the folded name
 * (the key is never longer). */
size_t sop_key_company(const char *s, size_t len, char *out, size_t cap);

/* Phone number: the digits of a Chinese mobile ("13912345678") or of a
 * landline with its area code ("02162345678"); an extension (转, 分机, ext,
 * x, #, - followed by 1-5 digits at the end) is dropped when what comes
 * before it is already a complete number.  +86 / 0086 / 86 before a mobile
 * and a trunk 0 before a mobile are dropped.  0 for landlines without area
 * code, 400/800 numbers, foreign numbers and placeholders (one digit
 * repeated, 12345678901, 13800138000).  cap must be at least key length + 1
 * (13 always suffices). */
size_t sop_key_phone(const char *s, size_t len, char *out, size_t cap);

/* E-mail address: trimmed and folded (lower case); exactly one '@', a
 * non-empty local part and a domain with a dot (not at either end, never
 * two in a row), no white space or <>()[],;:"\.  0 for placeholders:
 * a@a.com, none@none.cn (local part = the domain's name), noreply@...,
 * test@..., none@..., null@..., anything @example.com or @test.com.  cap
 * must hold the folded address. */
size_t sop_key_email(const char *s, size_t len, char *out, size_t cap);

#endif
