-- migrate.sql: brings a database loaded from the original dump
-- (reference/hmdp.sql) up to sql/schema.sql: the extra keys and indexes,
-- tb_blog.comments written as 0 instead of NULL; the tables the dump does
-- not have (tb_upload, and the message tables tb_message and
-- tb_chat_message: the same CREATE TABLE IF NOT EXISTS as in schema.sql);
-- a tb_chat_message of an earlier schema.sql (primary key id plus the index
-- idx_chat_conv) gets schema.sql's primary key (conv_lo, conv_hi, id).
--
-- MariaDB only (ADD ... IF NOT EXISTS is a MariaDB extension). Idempotent:
-- on a database built from schema.sql, or on a second run, every statement
-- is a no-op (an existing index only raises a note). Index names must stay
-- the same as in schema.sql, since IF NOT EXISTS compares names only.
--
-- Duplicate follow rows (the original had no unique key) are removed first,
-- keeping the oldest, or the unique key could not be added. Duplicate
-- orders are NOT removed: they are business records, so if the original
-- sold one voucher twice to the same user, adding uk_order_user_voucher
-- fails with "Duplicate entry" and a person decides what to do.

SET NAMES utf8mb4;

DELETE f FROM `tb_follow` f
  JOIN `tb_follow` older
    ON older.`user_id` = f.`user_id`
   AND older.`follow_user_id` = f.`follow_user_id`
   AND older.`id` < f.`id`;

ALTER TABLE `tb_follow`
  ADD UNIQUE INDEX IF NOT EXISTS `uk_follow_user_followee` (`user_id`, `follow_user_id`),
  ADD INDEX IF NOT EXISTS `idx_follow_followee` (`follow_user_id`);

ALTER TABLE `tb_voucher_order`
  ADD UNIQUE INDEX IF NOT EXISTS `uk_order_user_voucher` (`user_id`, `voucher_id`);

ALTER TABLE `tb_blog`
  ADD INDEX IF NOT EXISTS `idx_blog_user` (`user_id`, `id`),
  ADD INDEX IF NOT EXISTS `idx_blog_user_time` (`user_id`, `create_time`),
  ADD INDEX IF NOT EXISTS `idx_blog_liked` (`liked`, `id`),
  ALTER COLUMN `comments` SET DEFAULT 0;

ALTER TABLE `tb_blog_comments`
  ADD INDEX IF NOT EXISTS `idx_comments_blog` (`blog_id`);

UPDATE `tb_blog` SET `comments` = 0, `update_time` = `update_time` WHERE `comments` IS NULL;

CREATE TABLE IF NOT EXISTS `tb_message` (
  `id` bigint(20) UNSIGNED NOT NULL AUTO_INCREMENT COMMENT '主键',
  `mid` varchar(40) CHARACTER SET ascii COLLATE ascii_bin NOT NULL COMMENT '消息唯一id（生产者生成）',
  `to_user` bigint(20) UNSIGNED NOT NULL COMMENT '接收者',
  `from_user` bigint(20) UNSIGNED NOT NULL DEFAULT 0 COMMENT '发送者，0为系统',
  `type` varchar(16) CHARACTER SET ascii COLLATE ascii_bin NOT NULL COMMENT 'like/comment/follow/order',
  `sid_ms` bigint(20) UNSIGNED NOT NULL COMMENT 'message.stream:{to} 中的条目id（毫秒部分）',
  `sid_seq` bigint(20) UNSIGNED NOT NULL COMMENT '条目id（序号部分）',
  `m` varchar(4096) CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci NOT NULL COMMENT '消息JSON（不含id）',
  `u` varchar(1024) CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci NULL DEFAULT NULL COMMENT '发送者JSON，系统消息为NULL',
  `is_read` tinyint(1) UNSIGNED NOT NULL DEFAULT 0 COMMENT '是否已读',
  `create_time` datetime NOT NULL COMMENT '消息时间',
  PRIMARY KEY (`id`) USING BTREE,
  UNIQUE INDEX `uk_message_mid` (`mid`),
  INDEX `idx_message_to` (`to_user`, `sid_ms`, `sid_seq`),
  INDEX `idx_message_unread` (`to_user`, `is_read`, `sid_ms`, `sid_seq`)
) ENGINE = InnoDB CHARACTER SET = utf8mb4 COLLATE = utf8mb4_general_ci;

CREATE TABLE IF NOT EXISTS `tb_chat_message` (
  `id` char(25) CHARACTER SET ascii COLLATE ascii_bin NOT NULL COMMENT '聊天消息id：毫秒(13)+pid(7)+序号(5)，字符串顺序即发送顺序',
  `from_user` bigint(20) UNSIGNED NOT NULL COMMENT '发送者',
  `to_user` bigint(20) UNSIGNED NOT NULL COMMENT '接收者',
  `conv_lo` bigint(20) UNSIGNED NOT NULL COMMENT '会话：较小的用户id',
  `conv_hi` bigint(20) UNSIGNED NOT NULL COMMENT '会话：较大的用户id',
  `content` text CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci NOT NULL COMMENT '内容（已转义）',
  `create_time` datetime NOT NULL COMMENT '发送时间',
  PRIMARY KEY (`conv_lo`, `conv_hi`, `id`) USING BTREE
) ENGINE = InnoDB CHARACTER SET = utf8mb4 COLLATE = utf8mb4_general_ci;

-- the earlier key of tb_chat_message: one ALTER, only when the primary key
-- does not start with conv_lo (a statement built from information_schema)
SET @hmdp_chat_pk = (SELECT IF(COUNT(*) = 0, 'DO 0',
    'ALTER TABLE `tb_chat_message` DROP PRIMARY KEY, DROP INDEX IF EXISTS `idx_chat_conv`, ADD PRIMARY KEY (`conv_lo`, `conv_hi`, `id`)')
  FROM information_schema.STATISTICS
  WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'tb_chat_message'
    AND INDEX_NAME = 'PRIMARY' AND SEQ_IN_INDEX = 1 AND COLUMN_NAME = 'id');
PREPARE hmdp_chat_pk FROM @hmdp_chat_pk;
EXECUTE hmdp_chat_pk;
DEALLOCATE PREPARE hmdp_chat_pk;

CREATE TABLE IF NOT EXISTS `tb_upload` (
  `name` varchar(96) CHARACTER SET ascii COLLATE ascii_bin NOT NULL COMMENT '/blogs/{d1}/{d2}/{32 hex}.{ext}',
  `user_id` bigint(20) UNSIGNED NOT NULL COMMENT '上传者',
  `claimed` tinyint(1) UNSIGNED NOT NULL DEFAULT 0 COMMENT '1: a published blog uses it',
  `create_time` timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP COMMENT '上传时间',
  PRIMARY KEY (`name`) USING BTREE
) ENGINE = InnoDB CHARACTER SET = utf8mb4 COLLATE = utf8mb4_general_ci;

-- credits granted per order (group credits of stream.orders)
CREATE TABLE IF NOT EXISTS `tb_credit_log` (
  `order_id` bigint(20) NOT NULL COMMENT '订单id',
  `user_id` bigint(20) UNSIGNED NOT NULL COMMENT '用户id',
  `credits` int(8) NOT NULL COMMENT '积分变化',
  `create_time` timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP COMMENT '创建时间',
  PRIMARY KEY (`order_id`) USING BTREE,
  INDEX `idx_credit_log_user` (`user_id`)
) ENGINE = InnoDB CHARACTER SET = utf8mb4 COLLATE = utf8mb4_general_ci;
