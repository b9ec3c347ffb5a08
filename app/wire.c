/*
 * wire.c: the worker's route tables, dispatch hooks and event
 * subscribers (see wire.h).
 */
#include "wire.h"

#include "admin/admin.h"
#include "blog/blog.h"
#include "core/event.h"
#include "feed/feed.h"
#include "follow/follow.h"
#include "message/message.h"
#include "ops/ops.h"
#include "shop/shop.h"
#include "store/rds.h"
#include "store/sql.h"
#include "upload/upload.h"
#include "user/user.h"
#include "voucher/voucher.h"

const struct route *const wire_tables[] = {
    user_routes,    blog_routes, upload_routes,  follow_routes,
    feed_routes,    shop_routes, voucher_routes, admin_routes,
    message_routes, ops_routes,  NULL,
};

const struct route *const wire_internal_tables[] = {ops_internal_routes, NULL};

const struct route *const wire_all_tables[] = {
    user_routes,    blog_routes, upload_routes,       follow_routes,
    feed_routes,    shop_routes, voucher_routes,      admin_routes,
    message_routes, ops_routes,  ops_internal_routes, NULL,
};

static void
wire_begin(void)
{
    rds_request_begin();
    sql_request_begin();
}

static void
wire_finish(struct req *rq)
{
    rds_request_end(&rq->cx);
    sql_request_end();
}

const struct dispatch_hooks wire_hooks = {wire_begin, user_authenticate,
                                          wire_finish, wire_internal_tables,
                                          user_authenticate_cached};

void
wire_events(void)
{
    event_reset();
    event_subscribe(EVENT_BLOG_PUBLISHED, "feed fan-out on publish",
                    feed_on_blog_published);
    event_subscribe(EVENT_BLOG_DELETED, "feed removal on delete",
                    feed_on_blog_deleted);
    event_subscribe_pipelined(EVENT_BLOG_LIKED, "like notice",
                              message_like_append, message_like_collect);
    event_subscribe(EVENT_COMMENT_POSTED, "comment notice",
                    message_on_comment_posted);
    event_subscribe(EVENT_USER_FOLLOWED, "follow notice",
                    message_on_user_followed);
}
