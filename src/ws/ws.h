/*
 * ws/ws.h - the WebSocket protocol (RFC 6455) and its permessage-deflate
 * extension (RFC 7692) as pure units over bytes: no sockets, no clock, no
 * worker. The server layer (src/server/ws.c) feeds them what it reads and
 * sends what they write. Four files share this header:
 *
 *   frame.c      a frame's head (parse and write), masking, Close payloads,
 *                close codes, and UTF-8 checked in pieces (ws_utf8);
 *   message.c    ws_reader: frames to messages - fragments assembled, control
 *                frames taken between them, text checked as UTF-8 as it
 *                arrives, the size limit, compressed messages inflated;
 *   deflate.c    permessage-deflate: the offer read and answered, and the
 *                zlib streams that compress and inflate messages, pooled so
 *                that an idle connection holds none;
 *   handshake.c  the opening handshake checked (RFC 6455 section 4.2.1):
 *                Upgrade and Connection tokens, the key, the version, the
 *                Origin, the subprotocol; and the Sec-WebSocket-Accept.
 *
 * Errors are close codes (1002 protocol error, 1007 bad UTF-8, 1009 too
 * big...), the number the connection is closed with, returned negated
 * where a function also returns a length.
 *
 * Prefix ws_; nothing here is public (include/kiln/ws.h is the API).
 */
#ifndef KILN_WS_WS_H
#define KILN_WS_WS_H

#include <kiln/core.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- frames (frame.c) -------------------------------------------------- */

/** Opcodes (RFC 6455 section 5.2); others are reserved and refused. */
enum ws_opcode {
    WS_OP_CONT = 0x0,
    WS_OP_TEXT = 0x1,
    WS_OP_BINARY = 0x2,
    WS_OP_CLOSE = 0x8,
    WS_OP_PING = 0x9,
    WS_OP_PONG = 0xA
};

/** Close codes Kiln sends (RFC 6455 section 7.4.1, IANA registry). */
enum ws_close_code {
    WS_CLOSE_NORMAL = 1000,
    WS_CLOSE_GOING_AWAY = 1001,
    WS_CLOSE_PROTOCOL = 1002,
    WS_CLOSE_UNSUPPORTED = 1003,
    WS_CLOSE_NO_STATUS = 1005, /* never sent: "the Close had no code" */
    WS_CLOSE_ABNORMAL = 1006,  /* never sent: "no Close at all" */
    WS_CLOSE_BAD_DATA = 1007,
    WS_CLOSE_POLICY = 1008,
    WS_CLOSE_TOO_BIG = 1009,
    WS_CLOSE_INTERNAL = 1011,
    WS_CLOSE_TRY_AGAIN = 1013
};

/** The RSV1 bit of a frame's first byte: "compressed" under
    permessage-deflate. */
#define WS_RSV1 0x40
/** Largest frame head: 2 + 8 (64-bit length) + 4 (mask key). */
#define WS_HEAD_MAX 14
/** Largest payload of a control frame (RFC 6455 section 5.5). */
#define WS_CONTROL_MAX 125

/** A parsed frame head. */
typedef struct ws_frame {
    bool fin;         /**< the last frame of its message */
    uint8_t rsv;      /**< the RSV bits as they sit in byte 0 (0x70 mask) */
    uint8_t opcode;   /**< an enum ws_opcode */
    bool masked;      /**< a mask key follows the length */
    uint8_t mask[4];  /**< the key, when masked */
    uint64_t len;     /**< payload bytes */
    uint8_t head_len; /**< bytes of the head (2 to 14) */
} ws_frame;

/** ws_frame_parse flags. */
enum {
    WS_PARSE_MASKED = 1,   /**< frames must be masked (a server reading) */
    WS_PARSE_UNMASKED = 2, /**< frames must not be masked (a client) */
    WS_PARSE_RSV1 = 4      /**< RSV1 may be set (permessage-deflate) */
};

/**
 * Parses the frame head at p[0..n). Returns its length (2 to 14) with *f
 * filled, 0 when more bytes are needed (nothing seen so far is wrong), or
 * -WS_CLOSE_PROTOCOL when the head breaks RFC 6455 section 5.2: a reserved
 * opcode, a reserved bit set (RSV1 allowed by WS_PARSE_RSV1), the wrong
 * masking for flags, a control frame that is fragmented or longer than
 * 125 bytes, a 64-bit length with its top bit set, or a length not in its
 * shortest encoding (the RFC's "MUST"). Message-level rules (continuation
 * without a start, RSV1 on a control or continuation frame) are
 * ws_reader's.
 */
int ws_frame_parse(const uint8_t *p, size_t n, unsigned flags, ws_frame *f);

/**
 * Writes a frame head into out (WS_HEAD_MAX bytes of room): fin, the rsv
 * bits (WS_RSV1 or 0), opcode, len in its shortest encoding, and mask when
 * not NULL (a client's frame; the caller masks the payload with
 * ws_mask). Returns the head's length.
 */
size_t ws_frame_head(uint8_t *out, bool fin, uint8_t rsv, uint8_t opcode,
                     uint64_t len, const uint8_t *mask);

/**
 * XORs p[0..n) with the key in place, the key starting at byte off of the
 * payload (off % 4 selects the first key byte): a payload may be unmasked
 * in pieces as it arrives. Masking and unmasking are the same operation.
 */
void ws_mask(uint8_t *p, size_t n, const uint8_t key[4], uint64_t off);

/**
 * True for a close code an endpoint may send and so may receive
 * (RFC 6455 section 7.4; IANA's 1012 to 1014): 1000 to 1003, 1007 to 1014,
 * 3000 to 4999. 1005, 1006 and 1015 are never on the wire.
 */
bool ws_close_code_ok(unsigned code);

/**
 * Reads a Close frame's payload (unmasked): empty (*code 1005, no reason),
 * or a close code and a UTF-8 reason (a view into p). Returns 0,
 * WS_CLOSE_PROTOCOL for a 1-byte payload or a code ws_close_code_ok
 * refuses, WS_CLOSE_BAD_DATA for a reason that is not UTF-8.
 */
int ws_close_parse(const uint8_t *p, size_t n, unsigned *code,
                   kiln_str *reason);

/**
 * UTF-8 checked in pieces: a text message split across frames (and
 * reads) may split a character. Zero-initialise (or ws_utf8_reset) before
 * the first piece.
 */
typedef struct ws_utf8 {
    uint8_t tail[4]; /* private: an incomplete sequence at the end */
    uint8_t n;       /* private: its bytes */
} ws_utf8;

/** Forgets any incomplete sequence: the next piece starts a text. */
static inline void ws_utf8_reset(ws_utf8 *u)
{
    u->n = 0;
}
/**
 * Checks p[0..n) as the continuation of what u has seen. Returns false at
 * the first byte that cannot be part of well-formed UTF-8 (Unicode table
 * 3-7: no overlong forms, surrogates or code points past U+10FFFF); a
 * sequence the piece ends in the middle of is kept for the next piece.
 */
bool ws_utf8_feed(ws_utf8 *u, const uint8_t *p, size_t n);
/** True when the text seen so far ends on a character boundary. */
static inline bool ws_utf8_complete(const ws_utf8 *u)
{
    return u->n == 0;
}

/* ---- permessage-deflate (deflate.c) ---------------------------------- */

/** The permessage-deflate parameters agreed in a handshake. */
typedef struct ws_pmd {
    bool on;         /**< negotiated */
    int server_bits; /**< our LZ77 window, 9 to 15 (server_max_window_bits) */
} ws_pmd;

/**
 * Answers a client's Sec-WebSocket-Extensions (the values of every such
 * header, joined with ", "). Takes the first permessage-deflate offer
 * whose parameters are valid and acceptable (RFC 7692 section 7): known
 * names, each at most once, server_max_window_bits 9 to 15 (zlib cannot
 * compress with a 256-byte window, so 8 declines that offer),
 * client_max_window_bits empty or 8 to 15. Writes the response's extension
 * (NUL-terminated) into resp, which always states server_no_context_takeover
 * and client_no_context_takeover: neither side keeps a compression context
 * between messages, so an idle connection holds no zlib state. Returns 1
 * with *out filled, 0 when nothing was offered or no offer is acceptable
 * (the connection goes on uncompressed), KILN_EPARSE when the header is
 * not a valid extension list (RFC 6455 section 9.1 grammar).
 */
int ws_pmd_negotiate(kiln_str offers, ws_pmd *out, char *resp, size_t cap);

/**
 * A pool of zlib streams for one thread (a worker). A message being
 * inflated holds one until it ends; compressing a message borrows one
 * for the duration of the call. Owned by its thread; ws_zpool_deinit
 * frees it.
 */
typedef struct ws_zpool {
    void *inf[16]; /* private: idle z_streams, inflate */
    unsigned ninf;
    void *def[16]; /* private: idle z_streams, deflate; def_bits[i] is the
                      window each was made for */
    int def_bits[16];
    unsigned ndef;
} ws_zpool;

/** Initialises an empty pool. */
void ws_zpool_init(ws_zpool *p);
/** Frees every idle stream of the pool. */
void ws_zpool_deinit(ws_zpool *p);

/**
 * Compresses p[0..n) as one permessage-deflate message (RFC 7692 section
 * 7.2.1: a raw DEFLATE stream, sync-flushed, without its last four bytes
 * 00 00 ff ff) with a window of 2^bits, appending to out. pool may be NULL
 * (a stream made and freed for the call). Returns 0, KILN_ENOMEM, or
 * KILN_EIO when zlib fails.
 */
int ws_deflate_message(ws_zpool *pool, int bits, const void *p, size_t n,
                       kiln_buf *out);

/** An inflater for one message at a time (a z_stream); opaque. */
typedef struct ws_inflater ws_inflater;
/** Takes a reset inflater from pool (or makes one; pool may be NULL).
    NULL when out of memory. */
ws_inflater *ws_inflater_take(ws_zpool *pool);
/** Gives z back to pool (or frees it when the pool is full or NULL). */
void ws_inflater_give(ws_zpool *pool, ws_inflater *z);
/**
 * Inflates p[0..n) of a compressed message, appending the output to out
 * while out stays within max bytes; last adds the four bytes the sender
 * left off (00 00 ff ff) and ends the message. Returns 0,
 * -WS_CLOSE_TOO_BIG when the output would pass max (out then ends at
 * exactly max bytes: what inflated within the limit),
 * -WS_CLOSE_BAD_DATA when the data is not a valid DEFLATE stream (out
 * keeps what inflated before the error), or KILN_ENOMEM.
 */
int ws_inflate(ws_inflater *z, const uint8_t *p, size_t n, bool last,
               uint64_t max, kiln_buf *out);

/* ---- messages (message.c) ---------------------------------------------- */

/** What ws_reader_next found. */
enum ws_event_type {
    WS_EV_MORE,    /**< nothing complete: give more bytes */
    WS_EV_MESSAGE, /**< a whole text or binary message */
    WS_EV_PING,    /**< a Ping: answer with a Pong of the same payload */
    WS_EV_PONG,    /**< a Pong */
    WS_EV_CLOSE,   /**< the peer's Close: code (1005: none) and reason */
    WS_EV_ERROR    /**< the input breaks the protocol: close with code */
};

/** One event; views are valid until the next ws_reader_next call. */
typedef struct ws_event {
    int type;       /**< an enum ws_event_type */
    uint8_t opcode; /**< WS_EV_MESSAGE: WS_OP_TEXT or WS_OP_BINARY */
    kiln_str data;  /**< the payload (MESSAGE, PING, PONG) or the reason
                         (CLOSE), unmasked */
    unsigned code;  /**< CLOSE: the peer's code; ERROR: the code to send */
} ws_event;

/**
 * Frames in, messages out: one connection's reading side. Set the public
 * fields after ws_reader_init; the rest is private. After WS_EV_ERROR or
 * WS_EV_CLOSE the reader returns the same event again.
 */
typedef struct ws_reader {
    uint64_t max_message; /**< public: largest message in bytes (after
                               inflation); past it WS_CLOSE_TOO_BIG */
    unsigned flags;       /**< public: ws_frame_parse flags (masking; RSV1
                               when permessage-deflate is on) */
    ws_zpool *zpool;      /**< public: where inflaters come from, or NULL */
    /* private */
    ws_frame f;        /* the data frame whose payload is arriving */
    bool in_frame;     /* f's payload is partly consumed */
    uint64_t f_done;   /* payload bytes of f consumed */
    uint8_t msg_op;    /* the message in progress: TEXT, BINARY or 0 */
    bool msg_z;        /* it is compressed */
    uint64_t msg_wire; /* its payload bytes as received */
    ws_utf8 utf8;      /* its text, checked so far */
    kiln_buf msg;      /* its bytes (inflated), when not a single view */
    ws_inflater *inf;  /* while a compressed message arrives */
    ws_event end;      /* the CLOSE or ERROR event once one happened */
} ws_reader;

/** Initialises r (no memory held) with max_message 1 MiB, server masking. */
void ws_reader_init(ws_reader *r);
/** Frees what r holds (message buffer, inflater). */
void ws_reader_deinit(ws_reader *r);
/**
 * Gives back what r holds between messages (its message buffer, an
 * inflater) when no message is in progress: a connection about to wait
 * for its peer holds nothing. A no-op in the middle of a message.
 */
void ws_reader_trim(ws_reader *r);
/**
 * Consumes bytes of in[0..n) (unmasking them in place) up to the next
 * event and returns its type, with *used the bytes consumed (the caller
 * drops them, and keeps the rest for the next call with more appended)
 * and *ev filled. A message that arrived whole in one frame is a view
 * into in (no copy): the caller must keep in[0..*used) unchanged until it
 * is done with the message. Control frames are whole in in before they
 * are consumed (at most 139 bytes). Errors: WS_EV_ERROR with ev->code
 * 1002 (framing, fragmentation, a bad Close), 1007 (text not UTF-8, a
 * corrupt compressed message), 1009 (past max_message), 1011 (out of
 * memory). Events, and an error's code, do not depend on how the stream
 * is cut into calls: a message with two faults reports the one its bytes
 * reach first (text that is not UTF-8 within max_message is 1007 even if
 * the message, inflated, would also be too big).
 */
int ws_reader_next(ws_reader *r, uint8_t *in, size_t n, size_t *used,
                   ws_event *ev);

/* ---- the opening handshake (handshake.c) ------------------------------- */

/** The length of a Sec-WebSocket-Accept value (base64 of 20 bytes). */
#define WS_ACCEPT_LEN 28

/**
 * True when the comma-separated list of header values has the token
 * (case-insensitive; blanks around elements ignored), as Upgrade:
 * websocket and Connection: Upgrade are matched (RFC 9110 section 5.6.1).
 */
bool ws_list_has(kiln_str list, const char *token);

/**
 * True when key is a valid Sec-WebSocket-Key: the base64 (RFC 4648, with
 * its padding) of 16 bytes, so exactly 24 characters ending in "==".
 */
bool ws_key_ok(kiln_str key);

/** Writes the Sec-WebSocket-Accept for key: base64(SHA-1(key + GUID)),
    WS_ACCEPT_LEN characters and a NUL. */
void ws_accept_key(kiln_str key, char out[WS_ACCEPT_LEN + 1]);

/**
 * Picks the subprotocol: the first of the client's list (its
 * Sec-WebSocket-Protocol values, joined with ", ": most preferred first)
 * that is also in the server's comma-separated list. Returns its view
 * into offered, or p == NULL when none matches or either list is empty.
 * Tokens compare exactly (subprotocol names are case-sensitive).
 */
kiln_str ws_protocol_pick(kiln_str offered, const char *supported);

/**
 * True when the Origin value may open a WebSocket. allowed is the
 * ws.allowed_origins setting: "*" allows any origin; an empty list allows
 * the origin whose host and port are those of the Host header (the scheme
 * is not compared: behind a TLS proxy the page is https and the request
 * plain); otherwise a comma- or space-separated list of origins
 * ("https://app.example.com", "http://localhost:5173") compared ignoring
 * ASCII case, with the scheme's default port implied. A request without
 * Origin is not from a browser and is allowed; "null" only when listed.
 */
bool ws_origin_ok(kiln_str origin, kiln_str host, const char *allowed);

#endif
