<?php
/**
 * New comments: sent to replyguard as they arrive, filed as its answer says, and re-checked by WP-Cron when
 * replyguard could not answer.
 *
 * @package replyguard
 */

defined( 'ABSPATH' ) || exit;

/**
 * The comment hooks and the re-check.
 */
class Replyguard_Comments {

	const CRON_HOOK = 'replyguard_recheck';
	// Comment meta: the reply's id and status in replyguard; the idempotency key of its submit; the number of
	// tries still owed when replyguard could not answer (the "waiting for a re-check" flag); the last error.
	const META_ID        = 'replyguard_id';
	const META_STATUS    = 'replyguard_status';
	const META_KEY       = '_replyguard_idempotency_key';
	const META_RECHECK   = '_replyguard_recheck';
	const META_ERROR     = '_replyguard_error';
	const META_DECIDED   = '_replyguard_decided_at';
	const MAX_TRIES      = 24;
	const DEFAULT_DELAY  = 600;
	const RECHECK_BATCH  = 50;
	const WP_STATUS      = array(
		'published' => 1,
		'pending'   => 0,
		'rejected'  => 'spam',
	);
	const STATUS_ACTIONS = array(
		'published' => 'approve',
		'pending'   => 'hold',
		'rejected'  => 'spam',
	);

	/**
	 * What the current request's comment got from replyguard, for comment_post to store.
	 *
	 * @var array<string, mixed>|null
	 */
	private static $current = null;

	/**
	 * Hooks in.
	 */
	public static function register() {
		add_filter( 'pre_comment_approved', array( __CLASS__, 'decide' ), 99, 2 );
		add_action( 'comment_post', array( __CLASS__, 'remember' ), 10, 1 );
		add_action( self::CRON_HOOK, array( __CLASS__, 'recheck' ) );
	}

	/**
	 * The status WordPress gives a new comment (pre_comment_approved): replyguard's answer, published approved,
	 * pending held, rejected spam. WordPress's own refusals stand (a flood or duplicate error, its disallowed
	 * list's spam or trash); so do comments replyguard should not see (pingbacks, trackbacks, and people who
	 * moderate comments themselves). Unreachable, slow or failing: held, and flagged for WP-Cron to ask again.
	 *
	 * @param int|string|WP_Error  $approved    WordPress's own verdict so far.
	 * @param array<string, mixed> $commentdata The new comment.
	 * @return int|string|WP_Error
	 */
	public static function decide( $approved, $commentdata ) {
		self::$current = null;
		if ( is_wp_error( $approved ) || 'spam' === $approved || 'trash' === $approved || ! self::is_checked( $commentdata ) ) {
			return $approved;
		}
		$key    = wp_generate_uuid4();
		$answer = self::send( $commentdata, $key );
		self::$current = array(
			'key'    => $key,
			'answer' => $answer,
		);
		if ( null !== $answer->status && isset( self::WP_STATUS[ $answer->status ] ) ) {
			return self::WP_STATUS[ $answer->status ];
		}
		return 0;
	}

	/**
	 * Stores what replyguard said with the new comment (comment_post), and schedules the re-check when it said
	 * nothing.
	 *
	 * @param int $comment_id The new comment.
	 */
	public static function remember( $comment_id ) {
		if ( null === self::$current ) {
			return;
		}
		$current       = self::$current;
		self::$current = null;
		add_comment_meta( $comment_id, self::META_KEY, $current['key'], true );
		self::record( $comment_id, $current['answer'], 0 );
	}

	/**
	 * The WP-Cron event: every held comment waiting for a re-check is sent again (with its first idempotency
	 * key, so a reply replyguard did store before a timeout is answered, not stored twice) and filed by the
	 * answer. One a WordPress moderator has decided meanwhile keeps that decision and leaves the queue.
	 */
	public static function recheck() {
		if ( ! Replyguard_Settings::configured() ) {
			return;
		}
		$waiting = get_comments(
			array(
				'meta_key' => self::META_RECHECK, // phpcs:ignore WordPress.DB.SlowDBQuery.slow_db_query_meta_key
				'status'   => 'any',
				'number'   => self::RECHECK_BATCH,
				'orderby'  => 'comment_ID',
				'order'    => 'ASC',
			)
		);
		foreach ( $waiting as $comment ) {
			if ( '0' !== (string) $comment->comment_approved ) {
				delete_comment_meta( $comment->comment_ID, self::META_RECHECK );
				continue;
			}
			$tries = (int) get_comment_meta( $comment->comment_ID, self::META_RECHECK, true );
			$key   = (string) get_comment_meta( $comment->comment_ID, self::META_KEY, true );
			if ( '' === $key ) {
				$key = wp_generate_uuid4();
				add_comment_meta( $comment->comment_ID, self::META_KEY, $key, true );
			}
			$answer = self::send( (array) $comment->to_array(), $key );
			self::record( (int) $comment->comment_ID, $answer, $tries );
			if ( null !== $answer->status && isset( self::STATUS_ACTIONS[ $answer->status ] ) ) {
				wp_set_comment_status( (int) $comment->comment_ID, self::STATUS_ACTIONS[ $answer->status ] );
			}
		}
		self::schedule_if_waiting();
	}

	/**
	 * Removes the scheduled re-check (deactivation).
	 */
	public static function unschedule() {
		wp_clear_scheduled_hook( self::CRON_HOOK );
	}

	/**
	 * Whether replyguard should see this comment.
	 *
	 * @param array<string, mixed> $commentdata The comment.
	 * @return bool
	 */
	private static function is_checked( $commentdata ) {
		if ( ! Replyguard_Settings::configured() ) {
			return false;
		}
		$type = (string) ( $commentdata['comment_type'] ?? '' );
		if ( '' !== $type && 'comment' !== $type ) {
			return false;
		}
		$user_id = (int) ( $commentdata['user_id'] ?? $commentdata['user_ID'] ?? 0 );
		return ! ( $user_id && user_can( $user_id, 'moderate_comments' ) );
	}

	/**
	 * One submit of a WordPress comment to replyguard.
	 *
	 * @param array<string, mixed> $comment The comment's fields (comment_* keys).
	 * @param string               $key     Its idempotency key.
	 * @return Replyguard_Answer
	 */
	private static function send( array $comment, $key ) {
		$post_id = (int) ( $comment['comment_post_ID'] ?? 0 );
		$fields  = array(
			'name'          => (string) ( $comment['comment_author'] ?? '' ),
			'email'         => (string) ( $comment['comment_author_email'] ?? '' ),
			'body'          => (string) ( $comment['comment_content'] ?? '' ),
			'website'       => (string) ( $comment['comment_author_url'] ?? '' ),
			'article_title' => wp_strip_all_tags( html_entity_decode( get_the_title( $post_id ), ENT_QUOTES, 'UTF-8' ) ),
			'article_url'   => (string) get_permalink( $post_id ),
		);
		$parent = (int) ( $comment['comment_parent'] ?? 0 );
		if ( $parent ) {
			$parent_id = (string) get_comment_meta( $parent, self::META_ID, true );
			if ( '' !== $parent_id ) {
				$fields['parent_id'] = $parent_id;
			}
		}
		$address = (string) ( $comment['comment_author_IP'] ?? '' );
		$address = filter_var( $address, FILTER_VALIDATE_IP ) ? $address : '';
		$article = Replyguard_Settings::get( 'article_prefix' ) . $post_id;
		$answer  = Replyguard_Client::submit( $article, $fields, $key, $address );
		if ( isset( $fields['parent_id'] ) && null === $answer->status && ! $answer->retry && str_contains( $answer->error, 'HTTP 422' ) ) {
			// The parent is not one replyguard shows (held or taken down there): the reply goes in at the top.
			unset( $fields['parent_id'] );
			$answer = Replyguard_Client::submit( $article, $fields, $key . '-top', $address );
		}
		return $answer;
	}

	/**
	 * Keeps an answer in the comment's meta: the id and status, or the error and (when it may pass) one more
	 * try owed, with the re-check scheduled.
	 *
	 * @param int               $comment_id The comment.
	 * @param Replyguard_Answer $answer     What replyguard said.
	 * @param int               $tries      Tries made before this one.
	 */
	private static function record( $comment_id, Replyguard_Answer $answer, $tries ) {
		if ( null !== $answer->status ) {
			update_comment_meta( $comment_id, self::META_ID, $answer->id );
			update_comment_meta( $comment_id, self::META_STATUS, $answer->status );
			delete_comment_meta( $comment_id, self::META_RECHECK );
			delete_comment_meta( $comment_id, self::META_ERROR );
			return;
		}
		update_comment_meta( $comment_id, self::META_ERROR, $answer->error );
		if ( $answer->retry && $tries + 1 < self::MAX_TRIES ) {
			update_comment_meta( $comment_id, self::META_RECHECK, $tries + 1 );
			self::schedule_if_waiting();
		} else {
			// Refused (a 4xx other than 429) or tried too often: held for a WordPress moderator.
			delete_comment_meta( $comment_id, self::META_RECHECK );
		}
	}

	/**
	 * Schedules one re-check after the delay (filter `replyguard_recheck_delay`, seconds) unless one is due.
	 */
	private static function schedule_if_waiting() {
		if ( wp_next_scheduled( self::CRON_HOOK ) ) {
			return;
		}
		$waiting = get_comments(
			array(
				'meta_key' => self::META_RECHECK, // phpcs:ignore WordPress.DB.SlowDBQuery.slow_db_query_meta_key
				'status'   => 'any',
				'number'   => 1,
				'count'    => true,
			)
		);
		if ( $waiting ) {
			$delay = (int) apply_filters( 'replyguard_recheck_delay', self::DEFAULT_DELAY );
			wp_schedule_single_event( time() + max( 0, $delay ), self::CRON_HOOK );
		}
	}
}
