/* record.h - the one record type that flows from reader to model to writer.
 * A schema names the columns; a record holds one value per column in an
 * arena it owns.  Values are NUL-terminated so regex and strto* can read
 * them in place. */
#ifndef SOP_RECORD_H
#define SOP_RECORD_H

#include <stdbool.h>
#include <stddef.h>

typedef struct sop_schema {
    size_t count;
    size_t cap;
    char **names;
} sop_schema;

void sop_schema_init(sop_schema *schema);
void sop_schema_free(sop_schema *schema);
/* Appends a column; returns its index or -1 when out of memory. */
long sop_schema_add(sop_schema *schema, const char *name, size_t len);
/* Index of the column named `name`, or -1. */
long sop_schema_find(const sop_schema *schema, const char *name);

enum sop_value_kind {
    SOP_ABSENT = 0, /* the record has no such key (JSON Lines) */
    SOP_TEXT,       /* a string */
    SOP_LITERAL     /* a JSON number, boolean or compound, kept as JSON text */
};

typedef struct sop_value {
    size_t off;   /* into the record's arena */
    size_t len;
    unsigned char kind;
} sop_value;

typedef struct sop_record {
    size_t count;      /* values in use */
    size_t cap;
    sop_value *values;
    char *arena;
    size_t used;
    size_t arena_cap;
    const char *file;  /* display name of the input the record came from */
    long line;         /* physical line where the record starts */
    /* When the record was one unquoted delimited line, its text (valid
     * until the next read): a CSV writer with the same delimiter can copy
     * it as it is, since no field needs quoting. NULL otherwise. */
    const char *raw;
    size_t raw_len;
    char raw_delim;
} sop_record;

void sop_record_init(sop_record *rec);
void sop_record_free(sop_record *rec);
void sop_record_clear(sop_record *rec);
/* Appends a value; false when out of memory. */
bool sop_record_push(sop_record *rec, const char *s, size_t len, unsigned char kind);
/* Replaces the values with the fields of one unquoted line split at
 * `delim`, keeping at most max_fields of them (hostile lines of commas
 * must not cost memory); *total is how many there were and *longest the
 * index of the longest kept.  Returns false when out of memory. */
bool sop_record_split(sop_record *rec, const char *line, size_t len, char delim,
                      size_t max_fields, size_t *total, size_t *longest);
/* Sets value `index`, growing the record with absent values as needed. */
bool sop_record_set(sop_record *rec, size_t index, const char *s, size_t len,
                    unsigned char kind);

static inline const char *sop_record_text(const sop_record *rec, size_t index, size_t *len)
{
    if (index >= rec->count || rec->values[index].kind == SOP_ABSENT) {
        *len = 0;
        return "";
    }
    *len = rec->values[index].len;
    return rec->arena + rec->values[index].off;
}

static inline unsigned char sop_record_kind(const sop_record *rec, size_t index)
{
    return index < rec->count ? rec->values[index].kind : (unsigned char)SOP_ABSENT;
}

/* Value `col` (-1: none, "") trimmed of white space and U+3000, for
 * models that read a field as people typed it. */
const char *sop_record_trimmed(const sop_record *rec, long col, size_t *len);

#endif
