<?php
/**
 * The test's hand inside the throwaway WordPress (php tool.php DOCROOT COMMAND [JSON]), printing JSON:
 *   install    WordPress installed (administrator `admin` with the JSON's admin_password), the plugin activated,
 *              the JSON's settings saved;
 *   configure  the JSON merged into the plugin's settings;
 *   comments   every comment (any status) with the plugin's meta;
 *   settings   the plugin's settings as stored;
 *   cron       when the re-check is scheduled (null: not scheduled).
 */

[ , $docroot, $command ] = $argv;
$input = json_decode( $argv[3] ?? '{}', true );
$_SERVER['HTTP_HOST'] = parse_url( getenv( 'WP_TEST_HOME' ), PHP_URL_HOST ) . ':' . parse_url( getenv( 'WP_TEST_HOME' ), PHP_URL_PORT );
define( 'WP_INSTALLING', 'install' === $command );
require $docroot . '/wp-load.php';

switch ( $command ) {
	case 'install':
		require_once ABSPATH . 'wp-admin/includes/upgrade.php';
		require_once ABSPATH . 'wp-admin/includes/plugin.php';
		$installed = wp_install( 'replyguard test site', 'admin', 'admin@example.org', true, '', $input['admin_password'] );
		update_option( 'replyguard_settings', $input['settings'] );
		$activated = activate_plugin( 'replyguard/replyguard.php' );
		echo wp_json_encode(
			array(
				'user_id'   => $installed['user_id'],
				'activated' => null === $activated,
				'error'     => is_wp_error( $activated ) ? $activated->get_error_message() : null,
				'active'    => get_option( 'active_plugins' ),
			)
		);
		break;
	case 'configure':
		update_option( 'replyguard_settings', array_merge( (array) get_option( 'replyguard_settings', array() ), $input ) );
		echo wp_json_encode( array( 'ok' => true ) );
		break;
	case 'comments':
		$rows = array();
		foreach ( get_comments( array( 'status' => 'any', 'orderby' => 'comment_ID', 'order' => 'ASC' ) ) as $comment ) {
			$rows[] = array(
				'id'       => (int) $comment->comment_ID,
				'content'  => $comment->comment_content,
				'approved' => (string) $comment->comment_approved,
				'parent'   => (int) $comment->comment_parent,
				'meta'     => array_map( fn( $values ) => $values[0], get_comment_meta( $comment->comment_ID ) ),
			);
		}
		echo wp_json_encode( $rows );
		break;
	case 'settings':
		echo wp_json_encode( get_option( 'replyguard_settings' ) );
		break;
	case 'cron':
		echo wp_json_encode( wp_next_scheduled( 'replyguard_recheck' ) ?: null );
		break;
	default:
		fwrite( STDERR, "unknown command $command\n" );
		exit( 2 );
}
