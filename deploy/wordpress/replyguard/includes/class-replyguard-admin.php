<?php
/**
 * Settings → replyguard: the service's URL, the API key, the webhook secret, the time limit, and a "test
 * connection" button.
 *
 * @package replyguard
 */

defined( 'ABSPATH' ) || exit;

/**
 * The settings page (capability `manage_options`; the Settings API's nonce, and one of its own for the test).
 */
class Replyguard_Admin {

	const PAGE        = 'replyguard';
	const TEST_ACTION = 'replyguard_test_connection';

	/**
	 * Hooks in.
	 */
	public static function register() {
		add_action( 'admin_menu', array( __CLASS__, 'menu' ) );
		add_action( 'admin_init', array( __CLASS__, 'settings' ) );
		add_action( 'admin_post_' . self::TEST_ACTION, array( __CLASS__, 'test_connection' ) );
	}

	/**
	 * The page under Settings.
	 */
	public static function menu() {
		add_options_page( 'replyguard', 'replyguard', 'manage_options', self::PAGE, array( __CLASS__, 'render' ) );
	}

	/**
	 * The option and its fields.
	 */
	public static function settings() {
		register_setting(
			self::PAGE,
			Replyguard_Settings::OPTION,
			array(
				'type'              => 'array',
				'sanitize_callback' => array( 'Replyguard_Settings', 'sanitize' ),
				'default'           => Replyguard_Settings::DEFAULTS,
			)
		);
		add_settings_section( 'replyguard_service', __( 'Service', 'replyguard' ), '__return_false', self::PAGE );
		$fields = array(
			'url'            => array( __( 'replyguard URL', 'replyguard' ), 'url', __( 'For example https://replyguard.example', 'replyguard' ) ),
			'api_key'        => array( __( 'API key', 'replyguard' ), 'password', __( 'From `replyguard apikey add NAME` (rgk_...). Leave empty to keep the one saved.', 'replyguard' ) ),
			'webhook_secret' => array( __( 'Webhook secret', 'replyguard' ), 'password', __( 'The whsec_... secret replyguard showed when the webhook endpoint below was added. Leave empty to keep the one saved.', 'replyguard' ) ),
			'timeout'        => array( __( 'Time limit (seconds)', 'replyguard' ), 'number', __( 'A comment waits this long for replyguard; past it the comment is held and checked again later by WP-Cron.', 'replyguard' ) ),
			'article_prefix' => array( __( 'Article id prefix', 'replyguard' ), 'text', __( 'Posts are articles `<prefix><post id>` in replyguard.', 'replyguard' ) ),
		);
		foreach ( $fields as $name => $field ) {
			add_settings_field(
				'replyguard_' . $name,
				$field[0],
				array( __CLASS__, 'field' ),
				self::PAGE,
				'replyguard_service',
				array(
					'label_for' => 'replyguard_' . $name,
					'name'      => $name,
					'type'      => $field[1],
					'help'      => $field[2],
				)
			);
		}
	}

	/**
	 * One input. Secrets are never printed back: the field shows whether one is saved.
	 *
	 * @param array<string, string> $args The field's name, type and help.
	 */
	public static function field( $args ) {
		$name   = $args['name'];
		$secret = 'password' === $args['type'];
		$value  = $secret ? '' : (string) Replyguard_Settings::get( $name );
		printf(
			'<input id="%1$s" name="%2$s" type="%3$s" value="%4$s" class="regular-text" autocomplete="off" %5$s/>',
			esc_attr( $args['label_for'] ),
			esc_attr( Replyguard_Settings::OPTION . '[' . $name . ']' ),
			esc_attr( $args['type'] ),
			esc_attr( $value ),
			'number' === $args['type'] ? 'min="1" max="30"' : ''
		);
		if ( $secret && '' !== (string) Replyguard_Settings::get( $name ) ) {
			echo ' <span>' . esc_html__( '(saved)', 'replyguard' ) . '</span>';
		}
		echo '<p class="description">' . esc_html( $args['help'] ) . '</p>';
	}

	/**
	 * The page: the settings form, the webhook URL to give replyguard, the test button, and what waits.
	 */
	public static function render() {
		if ( ! current_user_can( 'manage_options' ) ) {
			return;
		}
		$waiting = (int) get_comments(
			array(
				'meta_key' => Replyguard_Comments::META_RECHECK, // phpcs:ignore WordPress.DB.SlowDBQuery.slow_db_query_meta_key
				'status'   => 'any',
				'count'    => true,
			)
		);
		echo '<div class="wrap"><h1>' . esc_html__( 'replyguard', 'replyguard' ) . '</h1>';
		self::test_notice();
		echo '<form method="post" action="' . esc_url( admin_url( 'options.php' ) ) . '">';
		settings_fields( self::PAGE );
		do_settings_sections( self::PAGE );
		submit_button();
		echo '</form>';
		echo '<h2>' . esc_html__( 'Decisions made in replyguard', 'replyguard' ) . '</h2><p>';
		echo esc_html__( 'Add a webhook endpoint in replyguard for the event decision.made at this URL, then save its secret above:', 'replyguard' );
		echo '</p><p><code>' . esc_html( Replyguard_Webhook::url() ) . '</code></p>';
		echo '<h2>' . esc_html__( 'Connection', 'replyguard' ) . '</h2>';
		/* translators: %d: number of comments */
		echo '<p>' . esc_html( sprintf( _n( '%d comment is held until replyguard can check it.', '%d comments are held until replyguard can check them.', $waiting, 'replyguard' ), $waiting ) ) . '</p>';
		echo '<form method="post" action="' . esc_url( admin_url( 'admin-post.php' ) ) . '">';
		echo '<input type="hidden" name="action" value="' . esc_attr( self::TEST_ACTION ) . '"/>';
		wp_nonce_field( self::TEST_ACTION );
		submit_button( __( 'Test connection', 'replyguard' ), 'secondary', 'submit', false );
		echo '</form></div>';
	}

	/**
	 * The test button's handler: asks replyguard whether it takes the key, and goes back to the page with the
	 * outcome.
	 */
	public static function test_connection() {
		if ( ! current_user_can( 'manage_options' ) ) {
			wp_die( esc_html__( 'You may not change these settings.', 'replyguard' ), 403 );
		}
		check_admin_referer( self::TEST_ACTION );
		$outcome = Replyguard_Settings::configured()
			? Replyguard_Client::test_connection()
			: new WP_Error( 'replyguard_unset', __( 'Set the URL and the API key first.', 'replyguard' ) );
		set_transient(
			'replyguard_test_' . get_current_user_id(),
			true === $outcome ? '' : $outcome->get_error_message(),
			MINUTE_IN_SECONDS
		);
		wp_safe_redirect( add_query_arg( 'replyguard-tested', '1', admin_url( 'options-general.php?page=' . self::PAGE ) ) );
		exit;
	}

	/**
	 * The last test's outcome, once.
	 */
	private static function test_notice() {
		$key     = 'replyguard_test_' . get_current_user_id();
		$message = get_transient( $key );
		if ( false === $message ) {
			return;
		}
		delete_transient( $key );
		if ( '' === $message ) {
			echo '<div class="notice notice-success"><p>' . esc_html__( 'Connected: replyguard accepts the API key.', 'replyguard' ) . '</p></div>';
			return;
		}
		echo '<div class="notice notice-error"><p>' . esc_html( $message ) . '</p></div>';
	}
}
