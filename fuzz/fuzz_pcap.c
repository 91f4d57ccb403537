/* libFuzzer: the pcap reader on arbitrary files. Every datagram it yields must lie inside the
 * input, frame errors must let it go on, file errors must be sticky, and it must end. */
#include <stdint.h>
#include <stdlib.h>

#include "mbmsec/pcap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  mbmsec_pcap_reader r;
  if (mbmsec_pcap_open(&r, data, size) != MBMSEC_OK) return 0;
  /* Each call consumes at least one 16-octet record header, so this bounds the loop. */
  for (size_t calls = 0; calls <= size / 16 + 1; calls++) {
    mbmsec_pcap_udp d;
    int have = 0;
    mbmsec_err e = mbmsec_pcap_next(&r, &d, &have);
    if (e != MBMSEC_OK && !mbmsec_pcap_frame_error(e)) {
      mbmsec_pcap_udp d2;
      int have2 = 1;
      if (mbmsec_pcap_next(&r, &d2, &have2) != e || have2) abort(); /* sticky */
      return 0;
    }
    if (e != MBMSEC_OK) {
      if (have || d.payload) abort();
      continue;
    }
    if (!have) return 0;
    if (d.payload < data || d.payload + d.payload_len > data + size) abort();
    volatile uint8_t sum = 0; /* touch every octet so ASan sees any overrun */
    for (size_t i = 0; i < d.payload_len; i++) sum ^= d.payload[i];
    (void)sum;
  }
  abort(); /* more records than the file can hold */
}
