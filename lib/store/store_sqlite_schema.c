/* The SQLite schema as numbered migrations, one per concern, applied in order at open.
 *
 * Rules: never edit a migration that has shipped; add a new one with the next number (and bump
 * MBMSEC_STORE_SCHEMA_VERSION in store.h). Every table checks the shape of what it holds
 * (lengths, ranges), so a row written by another tool cannot reach a caller's struct
 * malformed. Integers are SQLite's signed 64-bit; SQN fits in 48 bits, counters stay below
 * INT64_MAX. Names avoid SQLite-only syntax where it costs nothing, so a PostgreSQL backend can
 * start from the same tables (BLOB -> bytea, INTEGER -> bigint).
 *
 * The version bookkeeping table (schema_version) is created by store_sqlite.c before any
 * migration runs: one row per applied migration; the store's version is MAX(version).
 */
#include "store_impl.h"

const mbmsec_store_sqlite_migration mbmsec_store_sqlite_migrations[] = {
    {1, "hss: subscribers (TS 33.102 Annex C SQN, GBA user security settings)",
     "CREATE TABLE subscriber ("
     " impi TEXT PRIMARY KEY NOT NULL"
     "  CHECK (typeof(impi) = 'text' AND length(CAST(impi AS BLOB)) BETWEEN 1 AND 255),"
     " k BLOB NOT NULL CHECK (typeof(k) = 'blob' AND length(k) = 16),"
     " opc BLOB NOT NULL CHECK (typeof(opc) = 'blob' AND length(opc) = 16),"
     " sqn INTEGER NOT NULL"
     "  CHECK (typeof(sqn) = 'integer' AND sqn BETWEEN 0 AND 281474976710655),"
     " amf BLOB NOT NULL CHECK (typeof(amf) = 'blob' AND length(amf) = 2),"
     " uss TEXT NOT NULL DEFAULT ''"
     "  CHECK (typeof(uss) = 'text' AND length(CAST(uss AS BLOB)) <= 255)"
     ");"},
    {2, "bsf: bootstrap records per B-TID (TS 33.220 4.5.2)",
     "CREATE TABLE bootstrap ("
     " btid TEXT PRIMARY KEY NOT NULL"
     "  CHECK (typeof(btid) = 'text' AND length(CAST(btid AS BLOB)) BETWEEN 1 AND 255),"
     " impi TEXT NOT NULL REFERENCES subscriber(impi) ON DELETE CASCADE,"
     " ks BLOB NOT NULL CHECK (typeof(ks) = 'blob' AND length(ks) = 32),"
     " rand BLOB NOT NULL CHECK (typeof(rand) = 'blob' AND length(rand) = 16),"
     " created INTEGER NOT NULL CHECK (typeof(created) = 'integer'),"
     " expires INTEGER NOT NULL CHECK (typeof(expires) = 'integer'),"
     " CHECK (expires > created)"
     ");"
     "CREATE INDEX bootstrap_expires ON bootstrap(expires);"
     "CREATE INDEX bootstrap_impi ON bootstrap(impi);"},
    {3, "common: durable counter blocks",
     "CREATE TABLE counter ("
     " name TEXT PRIMARY KEY NOT NULL"
     "  CHECK (typeof(name) = 'text' AND length(CAST(name AS BLOB)) BETWEEN 1 AND 64),"
     " next INTEGER NOT NULL CHECK (typeof(next) = 'integer' AND next >= 1)"
     ");"},
    {4, "bmsc: user services, key groups, MSKs, subscriptions, registrations (TS 33.246 6.3.2)",
     "CREATE TABLE user_service ("
     " service_id TEXT PRIMARY KEY NOT NULL"
     "  CHECK (typeof(service_id) = 'text' AND length(CAST(service_id AS BLOB)) BETWEEN 1 AND 255),"
     " kdid BLOB NOT NULL CHECK (typeof(kdid) = 'blob' AND length(kdid) = 3),"
     " msk_lifetime INTEGER NOT NULL"
     "  CHECK (typeof(msk_lifetime) = 'integer' AND msk_lifetime >= 1)"
     ");"
     "CREATE TABLE key_group ("
     " service_id TEXT NOT NULL REFERENCES user_service(service_id) ON DELETE CASCADE,"
     " key_group INTEGER NOT NULL"
     "  CHECK (typeof(key_group) = 'integer' AND key_group BETWEEN 0 AND 65535),"
     " PRIMARY KEY (service_id, key_group)"
     ");"
     "CREATE INDEX key_group_group ON key_group(key_group);"
     "CREATE TABLE msk ("
     " kdid BLOB NOT NULL CHECK (typeof(kdid) = 'blob' AND length(kdid) = 3),"
     " msk_id BLOB NOT NULL CHECK (typeof(msk_id) = 'blob' AND length(msk_id) = 4"
     "  AND substr(msk_id, 3, 2) <> x'0000'),"
     " key BLOB NOT NULL CHECK (typeof(key) = 'blob' AND length(key) = 16),"
     " valid_from INTEGER NOT NULL CHECK (typeof(valid_from) = 'integer'),"
     " valid_to INTEGER NOT NULL CHECK (typeof(valid_to) = 'integer'),"
     " vf INTEGER NOT NULL CHECK (typeof(vf) = 'integer' AND vf BETWEEN 0 AND 65535),"
     " vt INTEGER NOT NULL CHECK (typeof(vt) = 'integer' AND vt BETWEEN 0 AND 65535),"
     " created INTEGER NOT NULL CHECK (typeof(created) = 'integer'),"
     " CHECK (valid_to > valid_from AND vf <= vt),"
     " PRIMARY KEY (kdid, msk_id)"
     ");"
     "CREATE TABLE subscription ("
     " impi TEXT NOT NULL"
     "  CHECK (typeof(impi) = 'text' AND length(CAST(impi AS BLOB)) BETWEEN 1 AND 255),"
     " service_id TEXT NOT NULL REFERENCES user_service(service_id) ON DELETE CASCADE,"
     " PRIMARY KEY (impi, service_id)"
     ");"
     "CREATE INDEX subscription_service ON subscription(service_id);"
     "CREATE TABLE registration ("
     " impi TEXT NOT NULL"
     "  CHECK (typeof(impi) = 'text' AND length(CAST(impi AS BLOB)) BETWEEN 1 AND 255),"
     " service_id TEXT NOT NULL REFERENCES user_service(service_id) ON DELETE CASCADE,"
     " btid TEXT NOT NULL"
     "  CHECK (typeof(btid) = 'text' AND length(CAST(btid AS BLOB)) BETWEEN 1 AND 255),"
     " ue_addr TEXT NOT NULL"
     "  CHECK (typeof(ue_addr) = 'text' AND length(CAST(ue_addr AS BLOB)) BETWEEN 1 AND 63),"
     " created INTEGER NOT NULL CHECK (typeof(created) = 'integer'),"
     " PRIMARY KEY (impi, service_id)"
     ");"
     "CREATE INDEX registration_service ON registration(service_id);"
     "CREATE INDEX registration_btid ON registration(btid);"},
};

const size_t mbmsec_store_sqlite_nmigrations =
    sizeof mbmsec_store_sqlite_migrations / sizeof mbmsec_store_sqlite_migrations[0];

_Static_assert(sizeof mbmsec_store_sqlite_migrations / sizeof mbmsec_store_sqlite_migrations[0] ==
                   MBMSEC_STORE_SCHEMA_VERSION,
               "one migration per schema version");
