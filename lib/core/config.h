/* config.h - a program's JSON config described by a table of fields, so
 * loading (with errors that name the key), the built-in defaults and
 * --print-config come from one place.  A field is a dotted path into the
 * JSON ("pool.min_close_rate") and an offset into the program's struct. */
#ifndef SOP_CONFIG_H
#define SOP_CONFIG_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "error.h"

enum { SOP_CFG_TEXT = 256 }; /* bytes of a text field, NUL included */

typedef enum sop_cfg_type {
    SOP_CFG_NUMBER, /* double, min..max */
    SOP_CFG_COUNT,  /* unsigned long, min..max, a whole number */
    SOP_CFG_BOOL,   /* bool */
    SOP_CFG_STRING, /* char[SOP_CFG_TEXT], not empty */
    SOP_CFG_CHOICE, /* int: the index of one of choices[] */
    SOP_CFG_SET     /* unsigned: bit i set when choices[i] is listed */
} sop_cfg_type;

typedef struct sop_cfg_field {
    const char *path;
    sop_cfg_type type;
    size_t offset;
    double min, max;
    const char *const *choices; /* NULL-terminated; CHOICE and SET */
} sop_cfg_field;

/* Reads the JSON file at path over cfg, which holds the defaults: keys the
 * file leaves out keep them.  Errors: 66 cannot open; 78 not JSON, an
 * unknown key, a value of the wrong type or out of range (the message
 * names the key). */
int sop_cfg_load(const char *path, const sop_cfg_field *fields, size_t count, void *cfg,
                 sop_error *err);
/* The config as indented JSON text (malloc'd; NULL when out of memory).
 * Loading it gives the same config back. */
char *sop_cfg_to_json(const sop_cfg_field *fields, size_t count, const void *cfg);

/* The same in steps, for a config with parts the table cannot describe
 * (take them out of the object, then apply the table): the file as a JSON
 * object (NULL with err set: 66, 78), the table's fields applied from it,
 * the fields as an object to add to, and that object as text. */
json_t *sop_cfg_read_file(const char *path, sop_error *err);
int sop_cfg_apply(json_t *root, const char *origin, const sop_cfg_field *fields, size_t count,
                  void *cfg, sop_error *err);
json_t *sop_cfg_to_object(const sop_cfg_field *fields, size_t count, const void *cfg);
char *sop_cfg_dump(const json_t *root);

#endif
