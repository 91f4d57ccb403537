/* mbmsec: readers of the bulk-provisioning files (bytes in, records out; no I/O).
 *
 *  - subscriber CSV (`mbmsec-bsf subscriber import --file`): IMPI,K,OPC[,SQN[,AMF[,USS]]]
 *  - IMPI list (`mbmsec-bmsc subscriber grant|revoke --file`): one IMPI a line
 *
 * Both files: lines end in LF or CRLF, the last line may have no end; trailing spaces, tabs
 * and CRs are dropped; empty lines and lines starting with '#' are skipped. A line holds at
 * most MBMSEC_BULK_LINE_MAX octets without its end. A NUL octet anywhere, and any octet
 * outside 0x20..0x7E (tab allowed) in a line that is not a comment, is refused: the values
 * end up in the store and in error messages. On an error the reader stops and names the line;
 * records handed out before it stay handed out (the commands wrap them in one transaction).
 */
#ifndef MBMSEC_BULK_H
#define MBMSEC_BULK_H
#include <stddef.h>
#include <stdint.h>

#include "mbmsec/error.h"
#include "mbmsec/store.h"

#define MBMSEC_BULK_LINE_MAX 1024 /* octets of a line, without its LF or CRLF */

/* Where and why a reader stopped. */
typedef struct {
  unsigned long line; /* 1-based number of the offending line; 0 when the reader succeeded */
  const char *why;    /* static text naming the problem (a field, the limit); NULL when the
                       * callback refused the record (its own code is returned) */
} mbmsec_bulk_pos;

/* One line of the subscriber CSV. Holds keys: the reader cleanses it after each callback. */
typedef struct {
  char impi[MBMSEC_STORE_IMPI_MAX + 1]; /* 1..255 octets; the store checks the characters */
  uint8_t k[16];
  uint8_t opc[16];
  uint64_t sqn;                       /* 48 bits; 0 when the field is absent or empty */
  uint8_t amf[2];                     /* 8000 when absent or empty */
  char uss[MBMSEC_STORE_USS_MAX + 1]; /* the rest of the line ("4,1"); "4" when absent */
} mbmsec_bulk_subscriber;

/* Called for each record with its line number; a code other than MBMSEC_OK stops the reader,
 * which returns that code with pos->line set and pos->why NULL. */
typedef mbmsec_err (*mbmsec_bulk_subscriber_cb)(const mbmsec_bulk_subscriber *rec,
                                                unsigned long line, void *arg);
typedef mbmsec_err (*mbmsec_bulk_impi_cb)(const char *impi, unsigned long line, void *arg);

/* Reads the subscriber CSV data[0..len) (data may be NULL when len is 0).
 * @return MBMSEC_OK (every record handed to cb), MBMSEC_ERR_ARG (cb or pos NULL, data NULL
 * with len > 0), MBMSEC_ERR_BULK_LINE_LEN, MBMSEC_ERR_BULK_OCTET, MBMSEC_ERR_BULK_FIELDS
 * (fewer than three fields, empty IMPI, K or OPC), MBMSEC_ERR_BULK_VALUE (IMPI or USS too
 * long; K, OPC, SQN or AMF not hex of its length), or the callback's code. */
mbmsec_err mbmsec_bulk_subscribers(const uint8_t *data, size_t len, mbmsec_bulk_subscriber_cb cb,
                                   void *arg, mbmsec_bulk_pos *pos);

/* Reads the IMPI list data[0..len): cb gets each IMPI NUL-terminated, 1..255 octets.
 * @return MBMSEC_OK, MBMSEC_ERR_ARG, MBMSEC_ERR_BULK_LINE_LEN, MBMSEC_ERR_BULK_OCTET,
 * MBMSEC_ERR_BULK_VALUE (IMPI longer than 255 octets), or the callback's code. */
mbmsec_err mbmsec_bulk_impis(const uint8_t *data, size_t len, mbmsec_bulk_impi_cb cb, void *arg,
                             mbmsec_bulk_pos *pos);

#endif
