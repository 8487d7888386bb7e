<?php
/**
 * Decisions made in replyguard's console coming back: a REST route that takes replyguard's signed webhooks
 * (Standard Webhooks) and files the comment as decided.
 *
 * @package replyguard
 */

defined( 'ABSPATH' ) || exit;

/**
 * `POST /wp-json/replyguard/v1/webhook` (or `?rest_route=/replyguard/v1/webhook` without pretty permalinks).
 */
class Replyguard_Webhook {

	const REST_NAMESPACE = 'replyguard/v1';
	const ROUTE          = '/webhook';
	// A signed call older or newer than this is refused: a captured call cannot be replayed later.
	const TOLERANCE = 300;
	// How long a delivery id is remembered, so a retried message is answered and not applied again.
	const SEEN_SECONDS = DAY_IN_SECONDS;

	/**
	 * Hooks in.
	 */
	public static function register() {
		add_action( 'rest_api_init', array( __CLASS__, 'routes' ) );
	}

	/**
	 * The route replyguard's webhook endpoint is pointed at.
	 *
	 * @return string
	 */
	public static function url() {
		return rest_url( self::REST_NAMESPACE . self::ROUTE );
	}

	/**
	 * Registers the route. Its permission check is the signature: no WordPress user calls it.
	 */
	public static function routes() {
		register_rest_route(
			self::REST_NAMESPACE,
			self::ROUTE,
			array(
				'methods'             => 'POST',
				'callback'            => array( __CLASS__, 'receive' ),
				'permission_callback' => array( __CLASS__, 'is_signed' ),
			)
		);
	}

	/**
	 * True when the call carries a valid signature by the configured secret (one of the space-separated
	 * signatures, as during a secret's rotation) made within TOLERANCE seconds; otherwise a WP_Error (401).
	 *
	 * @param WP_REST_Request $request The call.
	 * @return true|WP_Error
	 */
	public static function is_signed( WP_REST_Request $request ) {
		$secret    = (string) Replyguard_Settings::get( 'webhook_secret' );
		$id        = (string) $request->get_header( 'webhook_id' );
		$timestamp = (string) $request->get_header( 'webhook_timestamp' );
		$given     = (string) $request->get_header( 'webhook_signature' );
		$refused   = new WP_Error( 'replyguard_signature', 'Missing or bad webhook signature', array( 'status' => 401 ) );
		if ( '' === $secret || '' === $id || '' === $given || ! ctype_digit( $timestamp ) ) {
			return $refused;
		}
		if ( abs( time() - (int) $timestamp ) > self::TOLERANCE ) {
			return $refused;
		}
		$key = base64_decode( str_starts_with( $secret, 'whsec_' ) ? substr( $secret, 6 ) : $secret, true ); // phpcs:ignore WordPress.PHP.DiscouragedPHPFunctions.obfuscation_base64_decode
		if ( false === $key || '' === $key ) {
			return $refused;
		}
		$expected = 'v1,' . base64_encode( hash_hmac( 'sha256', $id . '.' . $timestamp . '.' . $request->get_body(), $key, true ) ); // phpcs:ignore WordPress.PHP.DiscouragedPHPFunctions.obfuscation_base64_encode
		foreach ( preg_split( '/\s+/', trim( $given ) ) as $signature ) {
			if ( hash_equals( $expected, $signature ) ) {
				return true;
			}
		}
		return $refused;
	}

	/**
	 * A signed message. `decision.made` files the comment it names by the decision's new status (published
	 * approved, pending held, rejected spam), unless a later decision was applied already; every other event is
	 * acknowledged and ignored. A delivery id seen before is acknowledged and not applied again.
	 *
	 * @param WP_REST_Request $request The call.
	 * @return WP_REST_Response
	 */
	public static function receive( WP_REST_Request $request ) {
		$seen = 'replyguard_wh_' . md5( (string) $request->get_header( 'webhook_id' ) );
		if ( get_transient( $seen ) ) {
			return new WP_REST_Response( array( 'result' => 'already seen' ), 200 );
		}
		$message = json_decode( $request->get_body(), true );
		$result  = 'ignored';
		if ( is_array( $message ) && 'decision.made' === ( $message['type'] ?? '' ) && is_array( $message['data'] ?? null ) ) {
			$result = self::apply_decision( $message['data'] );
		}
		set_transient( $seen, 1, self::SEEN_SECONDS );
		return new WP_REST_Response( array( 'result' => $result ), 200 );
	}

	/**
	 * Files the comment a decision names; says what was done.
	 *
	 * @param array<string, mixed> $decision The webhook's `data`.
	 * @return string
	 */
	private static function apply_decision( array $decision ) {
		$reply_id = (string) ( $decision['comment_id'] ?? '' );
		$status   = (string) ( $decision['to_status'] ?? '' );
		$decided  = (string) ( $decision['created_at'] ?? '' );
		if ( '' === $reply_id || ! isset( Replyguard_Comments::STATUS_ACTIONS[ $status ] ) ) {
			return 'ignored';
		}
		$found = get_comments(
			array(
				'meta_key'   => Replyguard_Comments::META_ID, // phpcs:ignore WordPress.DB.SlowDBQuery.slow_db_query_meta_key
				'meta_value' => $reply_id, // phpcs:ignore WordPress.DB.SlowDBQuery.slow_db_query_meta_value
				'status'     => 'any',
				'number'     => 1,
			)
		);
		if ( ! $found ) {
			// Not (yet) known here: a reply sent from elsewhere, or one whose submit answer is still on its way
			// (that answer files it).
			return 'unknown reply';
		}
		$comment_id = (int) $found[0]->comment_ID;
		$last       = (string) get_comment_meta( $comment_id, Replyguard_Comments::META_DECIDED, true );
		// ISO 8601 times of one format compare as strings: an older decision retried late does not undo a newer.
		if ( '' !== $last && '' !== $decided && strcmp( $decided, $last ) < 0 ) {
			return 'older than the last decision';
		}
		update_comment_meta( $comment_id, Replyguard_Comments::META_DECIDED, $decided );
		update_comment_meta( $comment_id, Replyguard_Comments::META_STATUS, $status );
		wp_set_comment_status( $comment_id, Replyguard_Comments::STATUS_ACTIONS[ $status ] );
		return 'filed as ' . Replyguard_Comments::STATUS_ACTIONS[ $status ];
	}
}
