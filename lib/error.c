#include "mbmsec/error.h"

const char *mbmsec_strerror(mbmsec_err err)
{
  switch (err) {
#define MBMSEC_ERR_TEXT_(name, value, text) case name: return text;
    MBMSEC_ERROR_LIST(MBMSEC_ERR_TEXT_)
#undef MBMSEC_ERR_TEXT_
  }
  return "unknown error";
}

const char *mbmsec_errname(mbmsec_err err)
{
  switch (err) {
#define MBMSEC_ERR_NAME_(name, value, text) case name: return #name;
    MBMSEC_ERROR_LIST(MBMSEC_ERR_NAME_)
#undef MBMSEC_ERR_NAME_
  }
  return "MBMSEC_ERR_UNKNOWN";
}
