/* words.h - short lists of folded words from a config ("报价,quot"), and
 * the canonical names of the actions and stages Chinese CRM exports write
 * in Chinese (电话 -> call, 需求挖掘 -> need_discovery).  Shared by every
 * model that reads activities or stage events. */
#ifndef SOP_WORDS_H
#define SOP_WORDS_H

#include <stdbool.h>
#include <stddef.h>

enum { SOP_WORDS_MAX = 32, SOP_WORD_LEN = 64 };

typedef struct sop_words {
    size_t count;
    char word[SOP_WORDS_MAX][SOP_WORD_LEN];
} sop_words;

/* "a,b, c" -> folded words (sop_text_fold); ',' and ';' separate, empty
 * items are skipped, words past SOP_WORDS_MAX or too long are dropped. */
void sop_words_parse(sop_words *w, const char *list);
/* The index of the word equal to s (folded), or -1. */
long sop_words_find(const sop_words *w, const char *s);
/* Whether some word occurs inside s (folded). */
bool sop_words_in(const sop_words *w, const char *s);

/* Folded text -> the canonical action (call, visit, wechat, email, demo,
 * proposal, quote, contract) or activity stage (need_discovery,
 * solution_match, demo, objection, quote, negotiation, close, won, lost)
 * when it is one of their Chinese or English variants; anything else is
 * left as it is.  buf holds cap bytes. */
void sop_canonical_action(char *buf, size_t cap);
void sop_canonical_stage(char *buf, size_t cap);

/* Folds s (len bytes) into out (SOP_WORD_LEN bytes); "" when it does not
 * fit or is not text. */
void sop_word_fold(const char *s, size_t len, char *out);

#endif
