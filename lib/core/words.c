/* words.c - folded word lists and canonical action and stage names. */
#include "words.h"

#include <stdio.h>
#include <string.h>

#include "text.h"

void sop_word_fold(const char *s, size_t len, char *out)
{
    size_t n = len < SOP_WORD_LEN ? sop_text_fold(s, len, out, SOP_WORD_LEN) : (size_t)-1;
    if (n == (size_t)-1)
        out[0] = '\0';
}

void sop_words_parse(sop_words *w, const char *list)
{
    w->count = 0;
    const char *p = list;
    while (*p && w->count < SOP_WORDS_MAX) {
        size_t n = strcspn(p, ",;");
        if (n > 0) {
            size_t k = sop_text_fold(p, n, w->word[w->count], SOP_WORD_LEN);
            if (k != (size_t)-1 && k > 0)
                w->count++;
        }
        p += n;
        if (*p)
            p++;
    }
}

long sop_words_find(const sop_words *w, const char *s)
{
    for (size_t i = 0; i < w->count; i++)
        if (strcmp(w->word[i], s) == 0)
            return (long)i;
    return -1;
}

bool sop_words_in(const sop_words *w, const char *s)
{
    for (size_t i = 0; i < w->count; i++)
        if (strstr(s, w->word[i]) != NULL)
            return true;
    return false;
}

typedef struct value_alias {
    const char *from, *to;
} value_alias;

static const value_alias action_aliases[] = {
    {"电话", "call"}, {"打电话", "call"}, {"电话沟通", "call"}, {"致电", "call"},
    {"拜访", "visit"}, {"上门拜访", "visit"}, {"面访", "visit"}, {"微信", "wechat"},
    {"邮件", "email"}, {"电子邮件", "email"}, {"演示", "demo"}, {"产品演示", "demo"},
    {"方案", "proposal"}, {"提交方案", "proposal"}, {"报价", "quote"}, {"合同", "contract"},
    {"签约", "contract"}, {"phone", "call"}, {"phone call", "call"}, {"meeting", "visit"},
    {"e-mail", "email"},
};
static const value_alias stage_aliases[] = {
    {"需求挖掘", "need_discovery"}, {"需求确认", "need_discovery"}, {"需求调研", "need_discovery"},
    {"need discovery", "need_discovery"}, {"方案匹配", "solution_match"},
    {"方案沟通", "solution_match"}, {"solution match", "solution_match"},
    {"方案演示", "demo"}, {"产品演示", "demo"}, {"演示", "demo"}, {"异议处理", "objection"},
    {"异议", "objection"}, {"报价", "quote"}, {"商务谈判", "negotiation"}, {"谈判", "negotiation"},
    {"成交", "close"}, {"签约", "close"}, {"赢单", "won"}, {"输单", "lost"}, {"丢单", "lost"},
};

static void canonical(char *folded, const value_alias *aliases, size_t count, size_t cap)
{
    /* the canonical names are plain ASCII words: most values are already one */
    bool plain = true;
    for (const char *p = folded; *p && plain; p++)
        plain = (unsigned char)*p < 0x80 && *p != ' ' && *p != '-';
    if (plain)
        return;
    for (size_t i = 0; i < count; i++)
        if (strcmp(folded, aliases[i].from) == 0) {
            snprintf(folded, cap, "%s", aliases[i].to);
            return;
        }
}

void sop_canonical_action(char *buf, size_t cap)
{
    canonical(buf, action_aliases, sizeof action_aliases / sizeof action_aliases[0], cap);
}

void sop_canonical_stage(char *buf, size_t cap)
{
    canonical(buf, stage_aliases, sizeof stage_aliases / sizeof stage_aliases[0], cap);
}
