<?php
/**
 * Plugin Name:       replyguard
 * Description:       Sends each new comment to a replyguard moderation service and files it as its answer says: published is approved, pending is held, rejected is spam. Moderators' decisions in replyguard come back through a signed webhook.
 * Version:           0.1.0
 * Requires at least: 6.1
 * Requires PHP:      8.1
 * License:           MIT
 * Text Domain:       replyguard
 *
 * @package replyguard
 */

defined( 'ABSPATH' ) || exit;

define( 'REPLYGUARD_VERSION', '0.1.0' );
define( 'REPLYGUARD_DIR', __DIR__ );

require_once REPLYGUARD_DIR . '/includes/class-replyguard-settings.php';
require_once REPLYGUARD_DIR . '/includes/class-replyguard-client.php';
require_once REPLYGUARD_DIR . '/includes/class-replyguard-comments.php';
require_once REPLYGUARD_DIR . '/includes/class-replyguard-webhook.php';
require_once REPLYGUARD_DIR . '/includes/class-replyguard-admin.php';

Replyguard_Comments::register();
Replyguard_Webhook::register();
if ( is_admin() ) {
	Replyguard_Admin::register();
}

register_deactivation_hook( __FILE__, array( 'Replyguard_Comments', 'unschedule' ) );
