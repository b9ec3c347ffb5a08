/*
 * test_voucher.c: the voucher module's pure rules: the order-id layout
 * ((UTC seconds since 2022-01-01) << 32 | daily sequence), the seckill
 * messages and the decoding of a stream.orders entry.
 */
#include "../../app/voucher/voucher_private.h"
#include "t.h"

#include <stdint.h>

static void
test_order_id(void)
{
    int64_t id;
    CHECK(voucher_order_id(VOUCHER_ID_EPOCH, 1, &id) == 0);
    CHECK(id == 1);
    CHECK(voucher_order_id(VOUCHER_ID_EPOCH + 1, 0, &id) == 0);
    CHECK(id == (1LL << 32));
    /* 2024-01-01T00:00:00Z = 1704067200 */
    CHECK(voucher_order_id(1704067200LL, 5, &id) == 0);
    CHECK(id == ((1704067200LL - 1640995200LL) << 32 | 5));
    CHECK(voucher_order_id_time(id) == 1704067200LL);
    CHECK((id & 0xffffffffLL) == 5);
    /* larger than 2^53: why the API sends it as a string */
    CHECK(id > (1LL << 53));
    /* the sequence fills the low 32 bits and never reaches the time */
    CHECK(voucher_order_id(1704067200LL, 0xffffffffLL, &id) == 0);
    CHECK(voucher_order_id_time(id) == 1704067200LL);
    CHECK(voucher_order_id(1704067200LL, 0x100000000LL, &id) == -1);
    CHECK(voucher_order_id(1704067200LL, -1, &id) == -1);
    /* before the epoch, or past 31 bits of seconds */
    CHECK(voucher_order_id(VOUCHER_ID_EPOCH - 1, 1, &id) == -1);
    CHECK(voucher_order_id(VOUCHER_ID_EPOCH + 0x7fffffffLL, 1, &id) == 0);
    CHECK(id > 0);
    CHECK(voucher_order_id(VOUCHER_ID_EPOCH + 0x80000000LL, 1, &id) == -1);
    /* ids of one second are ordered by sequence, and later seconds win */
    int64_t a, b, c;
    voucher_order_id(1704067200LL, 9, &a);
    voucher_order_id(1704067200LL, 10, &b);
    voucher_order_id(1704067201LL, 1, &c);
    CHECK(a < b && b < c);
}

static void
test_messages(void)
{
    CHECK_STR(voucher_seckill_msg(SECKILL_SOLD_OUT), "库存不足");
    CHECK_STR(voucher_seckill_msg(SECKILL_DUPLICATE), "禁止重复下单");
    CHECK_STR(voucher_seckill_msg(SECKILL_UNKNOWN), "优惠券不存在");
    CHECK_STR(voucher_seckill_msg(SECKILL_NOT_STARTED), "秒杀尚未开始");
    CHECK_STR(voucher_seckill_msg(SECKILL_ENDED), "秒杀已经结束");
    CHECK(voucher_seckill_msg(SECKILL_OK) == NULL);
    CHECK(voucher_seckill_msg(99) == NULL);
}

static void
test_order_parse(void)
{
    const char *f[] = {"userId", "voucherId", "id"};
    const char *v[] = {"1010", "7", "291984391562379265"};
    struct stream_entry e = {"1-0", 3, f, v};
    struct voucher_order o;
    CHECK(voucher_order_parse(&e, &o) == 0);
    CHECK(o.user_id == 1010 && o.voucher_id == 7);
    CHECK(o.id == 291984391562379265LL);

    const char *bad1[] = {"1010", "7", "x"};
    e.values = bad1;
    CHECK(voucher_order_parse(&e, &o) == -1);
    const char *bad2[] = {"1010", "-7", "5"};
    e.values = bad2;
    CHECK(voucher_order_parse(&e, &o) == -1);
    const char *bad3[] = {"1010", "7", "0"};
    e.values = bad3;
    CHECK(voucher_order_parse(&e, &o) == -1);
    e.values = v;
    e.nfields = 2; /* id missing */
    CHECK(voucher_order_parse(&e, &o) == -1);
    struct stream_entry gone = {"2-0", 0, NULL, NULL}; /* trimmed */
    CHECK(voucher_order_parse(&gone, &o) == -1);
}

int
main(void)
{
    RUN(test_order_id);
    RUN(test_messages);
    RUN(test_order_parse);
    T_DONE();
}
