<?php
/**
 * The plugin's settings: one option array, read in one place.
 *
 * @package replyguard
 */

defined( 'ABSPATH' ) || exit;

/**
 * Reads and cleans the `replyguard_settings` option.
 */
class Replyguard_Settings {

	const OPTION = 'replyguard_settings';

	/**
	 * Defaults: no service yet; a 5 s limit per call; article ids `wp-<post id>`.
	 *
	 * @var array<string, mixed>
	 */
	const DEFAULTS = array(
		'url'            => '',
		'api_key'        => '',
		'webhook_secret' => '',
		'timeout'        => 5,
		'article_prefix' => 'wp-',
	);

	/**
	 * All settings, defaults filled in.
	 *
	 * @return array<string, mixed>
	 */
	public static function all() {
		$stored = get_option( self::OPTION, array() );
		return array_merge( self::DEFAULTS, is_array( $stored ) ? $stored : array() );
	}

	/**
	 * One setting.
	 *
	 * @param string $name Its key in DEFAULTS.
	 * @return mixed
	 */
	public static function get( $name ) {
		$all = self::all();
		return $all[ $name ];
	}

	/**
	 * True once the URL and the API key are set: until then comments are left to WordPress alone.
	 *
	 * @return bool
	 */
	public static function configured() {
		return '' !== self::get( 'url' ) && '' !== self::get( 'api_key' );
	}

	/**
	 * The settings form's input, cleaned (register_setting's sanitize_callback). An empty secret field keeps the
	 * stored secret, so the page never has to show it.
	 *
	 * @param mixed $input The submitted array.
	 * @return array<string, mixed>
	 */
	public static function sanitize( $input ) {
		$input = is_array( $input ) ? $input : array();
		$old   = self::all();
		$clean = array(
			'url'            => untrailingslashit( esc_url_raw( trim( (string) ( $input['url'] ?? '' ) ), array( 'http', 'https' ) ) ),
			'api_key'        => trim( sanitize_text_field( (string) ( $input['api_key'] ?? '' ) ) ),
			'webhook_secret' => trim( sanitize_text_field( (string) ( $input['webhook_secret'] ?? '' ) ) ),
			'timeout'        => min( 30, max( 1, absint( $input['timeout'] ?? self::DEFAULTS['timeout'] ) ) ),
			'article_prefix' => preg_replace( '/[^A-Za-z0-9._~-]/', '', (string) ( $input['article_prefix'] ?? 'wp-' ) ),
		);
		if ( '' === $clean['api_key'] ) {
			$clean['api_key'] = $old['api_key'];
		}
		if ( '' === $clean['webhook_secret'] ) {
			$clean['webhook_secret'] = $old['webhook_secret'];
		}
		return $clean;
	}
}
