<?php
/**
 * The test site's own adjustments (a must-use plugin, never shipped):
 * - every test reader posts from 127.0.0.1, so WordPress's per-address flood check (15 s between comments) would
 *   refuse all but the first: it is off;
 * - the site has no mail server: WordPress's notification mails are dropped before sending;
 * - the re-check runs as soon as cron is called, instead of 10 minutes later.
 */

add_filter( 'wp_is_comment_flood', '__return_false', 99 );
add_filter( 'pre_wp_mail', '__return_true' );
add_filter( 'replyguard_recheck_delay', '__return_zero' );
