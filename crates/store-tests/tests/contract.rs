//! Runs every contract case on SQLite and on PostgreSQL.

macro_rules! contract {
    ($($case:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    let db = dklik_store_tests::fresh_sqlite().await;
                    dklik_store_tests::cases::$case(db.store.as_ref()).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    let db = dklik_store_tests::fresh_postgres().await;
                    dklik_store_tests::cases::$case(db.store.as_ref()).await;
                }
            )*
        }
    };
}

contract!(
    migrations_are_idempotent,
    rome_import_counts_and_is_idempotent,
    rome_changes_are_applied,
    a_rome_release_is_seen_whole_or_not_at_all,
    offers_import_then_upsert_by_external_id,
    bad_offer_file_writes_nothing,
    a_large_import_is_seen_whole_or_not_at_all,
    search_ignores_accents_and_plurals,
    search_index_agrees_with_sql_and_knows_synonyms,
    list_filters,
    lifecycle_rules,
    reimport_cannot_reopen_a_closed_offer,
    interests_are_recorded,
    inbox_filters_and_workflow,
    daily_reminder_once_a_day,
    accounts_sessions_and_lockout,
    password_reset_links_work_once,
    person_login_by_code,
    api_tokens_are_hashed_and_revocable,
    outbox_retries_with_backoff,
    erasure_keeps_anonymous_figures,
    employers_and_sites,
    gtfs_feed_round_trip_and_replace,
    a_gtfs_import_is_seen_whole_or_not_at_all,
    impressions_are_idempotent_and_scans_attributed,
    screen_settings_round_trip,
    person_records_timeline_and_skills,
    tests_sessions_results_and_observations,
    orientation_sessions_never_overbook,
    events_and_outreach,
    introductions_take_positions_and_fill_posts,
    impact_facts_and_figures,
    matching_people_load_in_bulk,
    public_forms_never_change_a_record_and_failed_ones_write_nothing,
    merging_people_keeps_everything_of_both,
    contact_changes_need_a_code_and_end_sessions,
    employers_offers_and_states_from_the_browser,
    employer_invitations_work_once,
    offers_review_pause_and_still_open_questions,
    france_travail_seen_and_gone,
    gtfs_version_moves_on_each_import,
    screen_health_takeovers_and_proof_of_play,
    sms_queue_states_and_receipts,
    texts_received_become_requests_and_messages,
    still_open_questions_go_by_text_when_only_a_mobile_is_known,
    news_texts_go_weekly_to_those_who_agreed,
);
