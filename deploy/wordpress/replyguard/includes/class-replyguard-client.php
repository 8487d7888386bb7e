<?php
/**
 * Talking to replyguard: the submit API with the site's API key, and the key check.
 *
 * @package replyguard
 */

defined( 'ABSPATH' ) || exit;

/**
 * One call's outcome: the stored status and id, or why there is none and whether trying again later may help.
 */
class Replyguard_Answer {

	/**
	 * `published`, `pending` or `rejected` from replyguard; null when it gave no answer.
	 *
	 * @var string|null
	 */
	public $status = null;

	/**
	 * The reply's id in replyguard.
	 *
	 * @var string|null
	 */
	public $id = null;

	/**
	 * Why there is no status (for the comment's meta and the admin).
	 *
	 * @var string
	 */
	public $error = '';

	/**
	 * True when the service was unreachable, slow, busy or failing: WP-Cron asks again later.
	 *
	 * @var bool
	 */
	public $retry = false;
}

/**
 * HTTP calls to replyguard (WordPress's HTTP API; the URL, key and timeout from the settings).
 */
class Replyguard_Client {

	/**
	 * Submits one reply for a reader: `POST /api/v1/articles/{article}/comments` with the API key, so the answer
	 * carries the status as stored (rejected included). The same idempotency key on a later try returns the
	 * first answer, so a reply that arrived before a timeout is not stored twice.
	 *
	 * @param string               $article         The replyguard article id.
	 * @param array<string, mixed> $fields          The submit's JSON fields.
	 * @param string               $idempotency_key One per WordPress comment.
	 * @param string               $reader_address  The reader's address, forwarded (the service believes it only
	 *                                              from hosts in REPLYGUARD_TRUSTED_PROXIES).
	 * @return Replyguard_Answer
	 */
	public static function submit( $article, array $fields, $idempotency_key, $reader_address ) {
		$headers = array(
			'Authorization'   => 'Bearer ' . Replyguard_Settings::get( 'api_key' ),
			'Content-Type'    => 'application/json',
			'Accept'          => 'application/json',
			'Idempotency-Key' => $idempotency_key,
		);
		if ( '' !== $reader_address ) {
			$headers['X-Forwarded-For'] = $reader_address;
		}
		$response = wp_remote_post(
			Replyguard_Settings::get( 'url' ) . '/api/v1/articles/' . rawurlencode( $article ) . '/comments',
			array(
				'timeout'     => (float) Replyguard_Settings::get( 'timeout' ),
				'redirection' => 0,
				'headers'     => $headers,
				'body'        => wp_json_encode( $fields ),
				'user-agent'  => 'replyguard-wordpress/' . REPLYGUARD_VERSION . '; ' . home_url(),
			)
		);
		$answer = new Replyguard_Answer();
		if ( is_wp_error( $response ) ) {
			$answer->error = 'unreachable: ' . $response->get_error_message();
			$answer->retry = true;
			return $answer;
		}
		$code = (int) wp_remote_retrieve_response_code( $response );
		$body = json_decode( wp_remote_retrieve_body( $response ), true );
		if ( 201 === $code && is_array( $body ) && isset( $body['status'], $body['id'] ) ) {
			$answer->status = (string) $body['status'];
			$answer->id     = (string) $body['id'];
			return $answer;
		}
		$answer->error = 'HTTP ' . $code . ( is_array( $body ) && isset( $body['detail'] ) ? ': ' . $body['detail'] : '' );
		// Busy, failing or rate-limited: later may work. A refusal of the reply itself (4xx) will not change.
		$answer->retry = 429 === $code || $code >= 500 || 0 === $code;
		return $answer;
	}

	/**
	 * The settings page's test: is the service there, and does it take the key? (`POST /1.1/verify-key`.)
	 *
	 * @return true|WP_Error
	 */
	public static function test_connection() {
		$response = wp_remote_post(
			Replyguard_Settings::get( 'url' ) . '/1.1/verify-key',
			array(
				'timeout'     => (float) Replyguard_Settings::get( 'timeout' ),
				'redirection' => 0,
				'body'        => array(
					'api_key' => Replyguard_Settings::get( 'api_key' ),
					'blog'    => home_url(),
				),
			)
		);
		if ( is_wp_error( $response ) ) {
			return $response;
		}
		$code = (int) wp_remote_retrieve_response_code( $response );
		$text = trim( wp_remote_retrieve_body( $response ) );
		if ( 200 === $code && 'valid' === $text ) {
			return true;
		}
		if ( 200 === $code && 'invalid' === $text ) {
			return new WP_Error( 'replyguard_key', __( 'replyguard answered, but does not know this API key.', 'replyguard' ) );
		}
		/* translators: %d: an HTTP status code */
		return new WP_Error( 'replyguard_http', sprintf( __( 'Unexpected answer from replyguard (HTTP %d).', 'replyguard' ), $code ) );
	}
}
