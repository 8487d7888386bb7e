<?php
/**
 * Removing the plugin removes its settings; comment meta stays with the comments (ids in replyguard).
 *
 * @package replyguard
 */

defined( 'WP_UNINSTALL_PLUGIN' ) || exit;

delete_option( 'replyguard_settings' );
wp_clear_scheduled_hook( 'replyguard_recheck' );
