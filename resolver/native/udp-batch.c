/*
 * Batched UDP for `kalkan serve` (Linux): one socket, read with recvmmsg and answered with
 * sendmmsg, so a burst of queries costs one wake-up, one call into JavaScript and two system
 * calls instead of a libuv callback, a Buffer, an rinfo object and a sendto per datagram
 * (node:dgram). Everything runs on the main thread: a uv_poll_t on Node's own loop says when
 * the socket is readable.
 *
 * Memory shared with JavaScript (one ArrayBuffer, laid out below): SLOTS input slots of
 * SLOT_BYTES (a whole UDP datagram fits, so nothing is ever truncated), the answers area, the
 * peers (a sockaddr_in/sockaddr_in6 per slot, as the kernel wrote it) and the lengths. JS
 * reads the queries in place and writes each answer's offset and length; C sends them.
 *
 * JS API (see resolver/serve/transport/udp-batch.ts):
 *   open(family 4|6, host, port, reusePort, onBatch(count)) -> { id, port, memory, layout... }
 *   send(id, bytes, peer) -> boolean       one datagram to a peer (an answer that came later)
 *   peerName(peer, family) -> string        the address as node:dgram spells it
 *   close(id)
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <node_api.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#define SLOTS 64
#define SLOT_BYTES 65536 /* larger than any UDP payload (65,507 / 65,527 bytes) */
#define OUT_BYTES (256 * 1024)
#define PEER_BYTES 32 /* a sockaddr_in6 (28 bytes), padded */
#define BATCHES_PER_WAKE 16 /* then back to the loop: timers, TCP and upstream answers run too */
#define SOCKET_BUFFER (4 * 1024 * 1024)
#define MAX_SOCKETS 256

/* The shared ArrayBuffer: in | out | peers | meta (int32: in lengths, out offsets, out lengths). */
#define OUT_OFFSET ((size_t)SLOTS * SLOT_BYTES)
#define PEERS_OFFSET (OUT_OFFSET + OUT_BYTES)
#define META_OFFSET (PEERS_OFFSET + (size_t)SLOTS * PEER_BYTES)
#define MEMORY_BYTES (META_OFFSET + (size_t)SLOTS * 3 * sizeof(int32_t))

typedef struct {
  napi_env env;
  int id;
  int fd;
  int family;
  int closing;
  uv_poll_t poll;
  napi_ref on_batch;
  napi_ref memory; /* keeps the shared ArrayBuffer alive while C writes into it */
  napi_ref resource;
  napi_async_context async;
  uint8_t *base;
  int32_t *in_lengths, *out_offsets, *out_lengths;
  struct mmsghdr recv_msgs[SLOTS];
  struct iovec recv_iov[SLOTS];
  struct mmsghdr send_msgs[SLOTS];
  struct iovec send_iov[SLOTS];
} Socket;

/*
 * Sockets by id: JS holds a number, never a pointer, so a stale id after close is harmless.
 * Only touched on the main thread of the process that opened them (no worker_threads use).
 */
static Socket *sockets[MAX_SOCKETS];

static socklen_t peer_length(int family) {
  return family == 4 ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
}

static napi_value throw_errno(napi_env env, const char *syscall, int error, const char *where) {
  char code[32], message[160];
  const char *name = error == EADDRINUSE      ? "EADDRINUSE"
                     : error == EACCES        ? "EACCES"
                     : error == EADDRNOTAVAIL ? "EADDRNOTAVAIL"
                     : error == EAFNOSUPPORT  ? "EAFNOSUPPORT"
                                              : NULL;
  if (name) snprintf(code, sizeof code, "%s", name);
  else snprintf(code, sizeof code, "E%d", error);
  snprintf(message, sizeof message, "%s %s %s (%s)", syscall, code, where, strerror(error));
  napi_throw_error(env, code, message);
  return NULL;
}

/* Sends the answers JS wrote for slots [0, count): one sendmmsg for the lot. */
static void send_answers(Socket *s, int count) {
  int n = 0;
  for (int i = 0; i < count; i++) {
    int32_t offset = s->out_offsets[i], length = s->out_lengths[i];
    if (length <= 0) continue;
    /* JS wrote these numbers: check them before they become pointers. */
    if (offset < 0 || length > OUT_BYTES || offset > OUT_BYTES - length) continue;
    s->send_iov[n].iov_base = s->base + OUT_OFFSET + offset;
    s->send_iov[n].iov_len = (size_t)length;
    struct msghdr *h = &s->send_msgs[n].msg_hdr;
    memset(h, 0, sizeof *h);
    h->msg_name = s->base + PEERS_OFFSET + (size_t)i * PEER_BYTES;
    h->msg_namelen = peer_length(s->family);
    h->msg_iov = &s->send_iov[n];
    h->msg_iovlen = 1;
    n++;
  }
  int done = 0;
  while (done < n) {
    int sent = sendmmsg(s->fd, s->send_msgs + done, (unsigned)(n - done), MSG_DONTWAIT);
    if (sent > 0) done += sent;
    else if (errno == EINTR) continue;
    /* A full send buffer: drop the rest, as a router would (loopback never fills it). */
    else if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS) break;
    else done++; /* this one peer cannot be sent to (as node:dgram's ignored 'error'): skip it */
  }
}

/* One synchronous call into JS for a batch; false when it threw (then nothing is sent). */
static int call_js(Socket *s, int count) {
  napi_env env = s->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return 0;
  napi_value resource, callback, arg, result;
  int ok = napi_get_reference_value(env, s->resource, &resource) == napi_ok &&
           napi_get_reference_value(env, s->on_batch, &callback) == napi_ok &&
           napi_create_int32(env, count, &arg) == napi_ok;
  /* make_callback, not call_function: promise jobs and nextTicks run after it, as for dgram. */
  if (ok && napi_make_callback(env, s->async, resource, callback, 1, &arg, &result) != napi_ok) {
    ok = 0;
    napi_value error;
    if (napi_get_and_clear_last_exception(env, &error) == napi_ok) napi_fatal_exception(env, error);
  }
  napi_close_handle_scope(env, scope);
  return ok;
}

static void on_readable(uv_poll_t *poll, int status, int events) {
  (void)events;
  Socket *s = poll->data;
  if (status < 0) return;
  for (int round = 0; round < BATCHES_PER_WAKE && !s->closing; round++) {
    for (int i = 0; i < SLOTS; i++) s->recv_msgs[i].msg_hdr.msg_namelen = peer_length(s->family);
    int count = recvmmsg(s->fd, s->recv_msgs, SLOTS, MSG_DONTWAIT, NULL);
    if (count <= 0) break; /* EAGAIN: drained */
    for (int i = 0; i < count; i++) {
      /* A short or odd peer address cannot be answered: give JS an empty datagram (ignored). */
      int good = s->recv_msgs[i].msg_hdr.msg_namelen == peer_length(s->family) &&
                 !(s->recv_msgs[i].msg_hdr.msg_flags & MSG_TRUNC);
      s->in_lengths[i] = good ? (int32_t)s->recv_msgs[i].msg_len : -1;
      s->out_lengths[i] = 0;
    }
    if (!call_js(s, count) || s->closing) break;
    send_answers(s, count);
    if (count < SLOTS) break; /* the queue was drained: the next datagram wakes us again */
  }
}

static void free_socket(uv_handle_t *handle) {
  Socket *s = handle->data;
  napi_delete_reference(s->env, s->on_batch);
  napi_delete_reference(s->env, s->memory);
  napi_delete_reference(s->env, s->resource);
  napi_async_destroy(s->env, s->async);
  free(s);
}

static void close_socket(Socket *s) {
  if (s->closing) return;
  s->closing = 1;
  sockets[s->id] = NULL;
  uv_poll_stop(&s->poll);
  /* Safe once the poll is stopped (libuv's rule), and the port is free again right away. */
  close(s->fd);
  uv_close((uv_handle_t *)&s->poll, free_socket);
}

/* Node is tearing the environment down (process or worker exit) with the socket still open. */
static void cleanup_hook(void *arg) { close_socket(arg); }

static int get_args(napi_env env, napi_callback_info info, size_t want, napi_value *argv) {
  size_t argc = want;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < want) {
    napi_throw_type_error(env, NULL, "missing arguments");
    return 0;
  }
  return 1;
}

static Socket *socket_arg(napi_env env, napi_value value) {
  int32_t id;
  if (napi_get_value_int32(env, value, &id) != napi_ok || id < 0 || id >= MAX_SOCKETS ||
      sockets[id] == NULL) {
    napi_throw_error(env, "ERR_SOCKET_CLOSED", "socket is closed");
    return NULL;
  }
  return sockets[id];
}

static void set_number(napi_env env, napi_value object, const char *key, double value) {
  napi_value v;
  napi_create_double(env, value, &v);
  napi_set_named_property(env, object, key, v);
}

static napi_value js_open(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  if (!get_args(env, info, 5, argv)) return NULL;
  int32_t family, port;
  bool reuse_port;
  char host[64];
  size_t host_length;
  napi_valuetype callback_type;
  if (napi_get_value_int32(env, argv[0], &family) != napi_ok || (family != 4 && family != 6) ||
      napi_get_value_string_utf8(env, argv[1], host, sizeof host, &host_length) != napi_ok ||
      napi_get_value_int32(env, argv[2], &port) != napi_ok || port < 0 || port > 65535 ||
      napi_get_value_bool(env, argv[3], &reuse_port) != napi_ok ||
      napi_typeof(env, argv[4], &callback_type) != napi_ok || callback_type != napi_function) {
    napi_throw_type_error(env, NULL, "open(family 4|6, host, port, reusePort, onBatch)");
    return NULL;
  }
  struct sockaddr_in6 address; /* large enough for either family */
  memset(&address, 0, sizeof address);
  struct sockaddr_in *v4 = (struct sockaddr_in *)&address;
  int parsed = family == 4 ? inet_pton(AF_INET, host, &v4->sin_addr)
                           : inet_pton(AF_INET6, host, &address.sin6_addr);
  if (parsed != 1) {
    napi_throw_type_error(env, NULL, "host is not an IP address of that family");
    return NULL;
  }
  if (family == 4) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons((uint16_t)port);
  } else {
    address.sin6_family = AF_INET6;
    address.sin6_port = htons((uint16_t)port);
  }
  int slot = 0;
  while (slot < MAX_SOCKETS && sockets[slot] != NULL) slot++;
  if (slot == MAX_SOCKETS) {
    napi_throw_error(env, NULL, "too many batched UDP sockets");
    return NULL;
  }

  char where[96];
  snprintf(where, sizeof where, family == 6 ? "[%s]:%d" : "%s:%d", host, port);
  int fd = socket(family == 4 ? AF_INET : AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return throw_errno(env, "socket", errno, where);
  int one = 1, size = SOCKET_BUFFER;
  /* IPv6 sockets take IPv6 only, as node:dgram's `ipv6Only: true`: IPv4 has its own address. */
  if (family == 6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  /* Cluster workers each bind their own socket; the kernel spreads datagrams among them. */
  if (reuse_port) setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  /* Bursts queue in the kernel instead of being dropped; the OS may cap these: not an error. */
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
  if (bind(fd, (struct sockaddr *)&address, peer_length(family)) != 0) {
    int error = errno;
    close(fd);
    return throw_errno(env, "bind", error, where);
  }
  socklen_t length = sizeof address;
  getsockname(fd, (struct sockaddr *)&address, &length);
  int bound_port = ntohs(family == 4 ? v4->sin_port : address.sin6_port);

  Socket *s = calloc(1, sizeof *s);
  napi_value memory, resource, name, result;
  void *data;
  uv_loop_t *loop;
  if (s == NULL || napi_create_arraybuffer(env, MEMORY_BYTES, &data, &memory) != napi_ok ||
      napi_create_object(env, &resource) != napi_ok ||
      napi_create_string_utf8(env, "KalkanUdpBatch", NAPI_AUTO_LENGTH, &name) != napi_ok ||
      napi_get_uv_event_loop(env, &loop) != napi_ok ||
      uv_poll_init_socket(loop, &s->poll, fd) != 0) {
    free(s);
    close(fd);
    napi_throw_error(env, NULL, "cannot set up the batched UDP socket");
    return NULL;
  }
  s->env = env;
  s->id = slot;
  s->fd = fd;
  s->family = family;
  s->base = data;
  int32_t *meta = (int32_t *)(s->base + META_OFFSET);
  s->in_lengths = meta;
  s->out_offsets = meta + SLOTS;
  s->out_lengths = meta + 2 * SLOTS;
  for (int i = 0; i < SLOTS; i++) {
    s->recv_iov[i].iov_base = s->base + (size_t)i * SLOT_BYTES;
    s->recv_iov[i].iov_len = SLOT_BYTES;
    struct msghdr *h = &s->recv_msgs[i].msg_hdr;
    h->msg_name = s->base + PEERS_OFFSET + (size_t)i * PEER_BYTES;
    h->msg_namelen = peer_length(family);
    h->msg_iov = &s->recv_iov[i];
    h->msg_iovlen = 1;
  }
  napi_create_reference(env, argv[4], 1, &s->on_batch);
  napi_create_reference(env, memory, 1, &s->memory);
  napi_create_reference(env, resource, 1, &s->resource);
  napi_async_init(env, resource, name, &s->async);
  s->poll.data = s;
  uv_poll_start(&s->poll, UV_READABLE, on_readable);
  sockets[slot] = s;
  napi_add_env_cleanup_hook(env, cleanup_hook, s);

  napi_create_object(env, &result);
  set_number(env, result, "id", slot);
  set_number(env, result, "port", bound_port);
  napi_set_named_property(env, result, "memory", memory);
  set_number(env, result, "slots", SLOTS);
  set_number(env, result, "slotBytes", SLOT_BYTES);
  set_number(env, result, "outOffset", (double)OUT_OFFSET);
  set_number(env, result, "outBytes", OUT_BYTES);
  set_number(env, result, "peersOffset", (double)PEERS_OFFSET);
  set_number(env, result, "peerBytes", PEER_BYTES);
  set_number(env, result, "metaOffset", (double)META_OFFSET);
  return result;
}

/* Bytes of a Uint8Array (or Buffer) argument; NULL when it is not one. */
static uint8_t *bytes_arg(napi_env env, napi_value value, size_t *length) {
  bool is;
  napi_typedarray_type type;
  void *data;
  if (napi_is_typedarray(env, value, &is) != napi_ok || !is ||
      napi_get_typedarray_info(env, value, &type, length, &data, NULL, NULL) != napi_ok ||
      type != napi_uint8_array) {
    napi_throw_type_error(env, NULL, "expected a Uint8Array");
    return NULL;
  }
  return data;
}

static napi_value js_send(napi_env env, napi_callback_info info) {
  napi_value argv[3], result;
  if (!get_args(env, info, 3, argv)) return NULL;
  Socket *s = socket_arg(env, argv[0]);
  if (s == NULL) return NULL;
  size_t length, peer_size;
  uint8_t *bytes = bytes_arg(env, argv[1], &length);
  if (bytes == NULL) return NULL;
  uint8_t *peer = bytes_arg(env, argv[2], &peer_size);
  if (peer == NULL) return NULL;
  if (peer_size < peer_length(s->family) || length > 65535) {
    napi_throw_range_error(env, NULL, "bad peer or datagram size");
    return NULL;
  }
  ssize_t sent;
  do sent = sendto(s->fd, bytes, length, MSG_DONTWAIT, (struct sockaddr *)peer,
                   peer_length(s->family));
  while (sent < 0 && errno == EINTR);
  napi_get_boolean(env, sent == (ssize_t)length, &result);
  return result;
}

static napi_value js_peer_name(napi_env env, napi_callback_info info) {
  napi_value argv[2], result;
  if (!get_args(env, info, 2, argv)) return NULL;
  size_t size;
  int32_t family;
  uint8_t *peer = bytes_arg(env, argv[0], &size);
  if (peer == NULL) return NULL;
  if (napi_get_value_int32(env, argv[1], &family) != napi_ok || (family != 4 && family != 6) ||
      size < peer_length(family)) {
    napi_throw_range_error(env, NULL, "bad peer");
    return NULL;
  }
  /* libuv's own functions, so the text is exactly what node:dgram's rinfo.address holds. */
  char text[INET6_ADDRSTRLEN + UV_IF_NAMESIZE + 2] = "";
  if (family == 4) {
    struct sockaddr_in a;
    memcpy(&a, peer, sizeof a);
    uv_inet_ntop(AF_INET, &a.sin_addr, text, sizeof text);
  } else {
    struct sockaddr_in6 a;
    memcpy(&a, peer, sizeof a);
    uv_inet_ntop(AF_INET6, &a.sin6_addr, text, sizeof text);
    if (IN6_IS_ADDR_LINKLOCAL(&a.sin6_addr)) {
      size_t used = strlen(text);
      size_t left = sizeof text - used - 1;
      text[used] = '%';
      if (uv_if_indextoiid(a.sin6_scope_id, text + used + 1, &left) != 0) text[used] = '\0';
    }
  }
  napi_create_string_latin1(env, text, NAPI_AUTO_LENGTH, &result);
  return result;
}

static napi_value js_close(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!get_args(env, info, 1, argv)) return NULL;
  Socket *s = socket_arg(env, argv[0]);
  if (s == NULL) return NULL;
  napi_remove_env_cleanup_hook(env, cleanup_hook, s);
  close_socket(s);
  return NULL;
}

NAPI_MODULE_INIT() {
  napi_property_descriptor functions[] = {
      {"open", NULL, js_open, NULL, NULL, NULL, napi_default, NULL},
      {"send", NULL, js_send, NULL, NULL, NULL, napi_default, NULL},
      {"peerName", NULL, js_peer_name, NULL, NULL, NULL, napi_default, NULL},
      {"close", NULL, js_close, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof functions / sizeof *functions, functions);
  return exports;
}
