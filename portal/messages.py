"""Everything Balai may tell a person about an error code (and the console's confirmations).

Plain English strings, marked with ``N_`` for extraction into the catalogues; the web layer
translates them per request (Indonesian first), the CLI prints them as they are. A test checks
that every code the domain raises has a message here.
"""


def N_(text):
    """Mark a string for the translation catalogues without translating it here."""
    return text


MESSAGES = {
    "unknown_service": N_("There is no service with the code %(service)s."),
    "service_closed": N_("%(service)s is closed now. Opening hours: %(opens_at)s–%(closes_at)s."),
    "daily_cap_reached": N_("Today's %(cap)s tickets for %(service)s are all taken. Please come back tomorrow."),
    "too_many_tickets": N_("This phone already holds %(limit)s active tickets. Use or cancel one first."),
    "ticket_not_found": N_("This ticket does not exist. Check the number or take a new ticket."),
    "unknown_counter": N_("There is no counter %(counter)s."),
    "counter_busy": N_("Ticket %(number)s is still being called. Start, skip or recall it first."),
    "counter_idle": N_("%(counter)s has no ticket at the moment."),
    "queue_empty": N_("Nobody is waiting for %(counter)s."),
    "same_service": N_("The ticket is already in %(service)s."),
    "wrong_state": N_("This cannot be done to ticket %(number)s now: it is %(status)s."),
    "bad_json": N_("The request is not valid JSON."),
    "bad_field": N_("The field %(field)s is missing or wrong."),
    "bad_request": N_("The request is not valid."),
    "too_large": N_("The request is too large."),
    "login_required": N_("Please sign in as an official first."),
    "forbidden": N_("Your role may not do this."),
    "csrf": N_("The form has expired. Please reload the page and try again."),
    "cross_site": N_("This form was sent from another site and was refused."),
    "not_found": N_("This page does not exist."),
    "method_not_allowed": N_("This address does not accept that kind of request."),
    "server_error": N_("Something went wrong on the server. Nothing was changed; please try again."),
    "storage_full": N_(
        "The appliance's storage is full, so nothing was saved. Please tell the village office; "
        "it works again as soon as space is freed."
    ),
    "password_too_short": N_("The password must have at least %(minimum)s characters."),
    "bad_username": N_("The username is empty or too long."),
    "bad_role": N_("Unknown role %(role)s: use admin, operator or editor."),
    "user_exists": N_("The user %(username)s already exists."),
    "unknown_user": N_("There is no user %(username)s."),
    "expires_before_publish": N_("An announcement cannot expire before it is published."),
    "bad_login": N_("Wrong username or password."),
    # Signing in, sessions and the users page.
    "login_locked": N_("Too many wrong passwords. Try again at %(time)s."),
    "login_too_many": N_("Too many wrong sign-ins from this computer. Please wait %(minutes)s minutes and try again."),
    "session_ended": N_("Your session ended; please sign in again."),
    "wrong_password": N_("Your current password is not right."),
    "passwords_differ": N_("The two new passwords are not the same. Please type the same one twice."),
    "no_such_official": N_("This official does not exist (any more)."),
    "last_admin": N_("%(username)s is the last admin. Make another official an admin first."),
    "remove_yourself": N_("You cannot remove yourself. Another admin can."),
    "reset_own_password": N_("To change your own password, use “My password”: it asks for your current one."),
    "done_user_create": N_("%(username)s can now sign in as %(role)s."),
    "done_user_role": N_("%(username)s is now %(role)s."),
    "done_user_password": N_("The password of %(username)s was changed; their open sessions have ended."),
    "done_user_unlock": N_("%(username)s can sign in again."),
    "done_user_delete": N_("%(username)s was removed."),
    "done_password": N_("Your password was changed. Your sessions on other computers have ended."),
    "bad_kiosk_name": N_("The kiosk name is empty or too long."),
    "kiosk_exists": N_("The kiosk %(name)s already exists."),
    "unknown_kiosk": N_("There is no kiosk %(name)s."),
    "pairing_invalid": N_(
        "This pairing link is unknown, already used or expired. Make a new one with: python -m portal kiosk pair NAME"
    ),
    "bad_outcome": N_("Unknown print outcome %(outcome)s: use printed or uncertain."),
    "unknown_job": N_("There is no print job %(job)s for this kiosk."),
    "reprint_finished": N_("Ticket %(number)s is finished; there is nothing to reprint."),
    "no_kiosk_printer": N_("Choose the kiosk whose printer should print the receipt."),
    "unknown_number": N_("There is no ticket %(number)s today."),
    "stats_bad_period": N_("Unknown period %(period)s: use day, week or month."),
    "stats_bad_by": N_("Unknown grouping %(by)s: use service or counter."),
    "device_unknown": N_(
        "Your phone could not be recognised on the Wi-Fi. Turn Wi-Fi off and on again, then try once more."
    ),
    "not_on_hotspot": N_("This page is for phones on the village hall's Wi-Fi."),
    "hotspot_session_not_found": N_("This Wi-Fi session has already ended."),
    # Content (announcements, agenda, documents, directories, uploads).
    "upload_empty": N_("The chosen file is empty."),
    "photo_too_large": N_("The photo is too large: at most %(limit_mb)s MB."),
    "photo_bad_type": N_("This file is not a photo Balai can use. Send a JPEG, PNG or WebP picture."),
    "pdf_too_large": N_("The document is too large: at most %(limit_mb)s MB."),
    "pdf_bad_type": N_("This file is not a PDF document."),
    "field_required": N_("Please fill this in."),
    "field_too_long": N_("Too long: at most %(maximum)s characters."),
    "field_number": N_("Please write a whole number, digits only."),
    "field_year": N_("Please write a year, such as 2026."),
    "field_datetime": N_("Please choose a date and time."),
    "field_choice": N_("Please choose one of the options."),
    "field_phone": N_("Please write a phone number, such as 0812-3456-7890."),
    "field_taken": N_("Another entry already uses this."),
    "prefix_used_today": N_(
        "Today's tickets of another service already carry the letter %(prefix)s: two tickets would have the "
        "same number. Give it this letter tomorrow."
    ),
    "ends_before_start": N_("The end cannot be before the start."),
    "bad_letter_code": N_("Use lowercase letters, digits and - only, such as sktm or surat-domisili."),
    "bad_letter_fields": N_("The letter's form fields are not valid."),
    "bad_pack": N_("The content pack cannot be used: %(problem)s. Nothing was changed."),
    "pack_confirm": N_("Choose a content pack file and tick the box to confirm the replacement."),
    "done_pack": N_("The content pack was imported (%(count)s entries)."),
    "not_creatable": N_("This kind of entry cannot be added or removed here."),
    "content_from_district": N_(
        "This announcement comes from the district: it changes only when the district changes it."
    ),
    # Complaints.
    "complaint_bad_category": N_("Choose what your complaint or aspiration is about."),
    "complaint_text_length": N_("Please write between %(minimum)s and %(maximum)s characters."),
    "complaint_name_too_long": N_("The name and the contact may have at most %(maximum)s characters each."),
    "complaint_too_often": N_(
        "Too many complaints from this phone: at most %(limit)s per hour. Please try again in %(minutes)s minutes."
    ),
    "complaint_not_found": N_("There is no complaint with this code. Check the code and try again."),
    "complaint_bad_status": N_("Unknown complaint status %(status)s."),
    "complaint_reply_too_long": N_("A reply may have at most %(maximum)s characters."),
    "complaint_update_empty": N_("Write a reply or a note, or choose a new status."),
    "complaint_bad_correction": N_(
        "A correction must be a public reply with text that corrects an earlier public reply of this complaint."
    ),
    "complaint_bad_assignee": N_("Choose an official who may answer complaints."),
    "done_complaint_update": N_("The update was added."),
    "done_complaint_assign": N_("The complaint was routed."),
    # Letter requests and the register of letters.
    "letter_fields_invalid": N_("Some answers are missing or wrong: see the marked fields."),
    "bad_answer": N_("This answer is not valid."),
    "nik_length": N_("The NIK has exactly 16 digits: copy it from your KTP or family card (KK)."),
    "nik_format": N_("This NIK cannot be right: check the digits on your KTP or family card (KK)."),
    "date_format": N_("This is not a date: write it as day-month-year, e.g. 17-08-1990."),
    "address_rt_rw": N_("Write your RT and RW as numbers, e.g. RT 2 and RW 1."),
    "address_dusun": N_("Write your dusun (or street)."),
    "bring_papers_required": N_(
        "Bring your papers (KTP, family card) to the office: they are checked at the counter, never sent from a phone."
    ),
    "letter_too_often": N_(
        "Too many letter requests from this phone: at most %(limit)s per hour. Please try again in %(minutes)s minutes."
    ),
    "letter_type_not_found": N_("This letter is not offered. Choose one from the list."),
    "letter_request_not_found": N_("There is no letter request with this code. Check the code and try again."),
    "letter_request_closed": N_("This request is no longer open: its letter was issued, or it was rejected."),
    "letter_request_purged": N_("The details of this request were deleted after the retention period."),
    "letter_request_not_ready": N_("Only a letter that is ready can be marked as collected."),
    "letter_type_gone": N_("This request's letter type was deleted: reject the request, or add the type again."),
    "letter_reason_length": N_("Write a reason of %(minimum)s to %(maximum)s characters."),
    "letter_bad_status": N_("Unknown letter request status."),
    "letter_no_signer": N_("Choose who signs the letter (the officials are listed under Content, Officials)."),
    "letter_number_format": N_(
        "The number format may use only %(parts)s, and needs {nomor} and {tahun} (numbers restart each year)."
    ),
    "letter_number_taken": N_("The number %(number)s is already in the register: check the number format."),
    "letter_bad_paper": N_("Choose A4 or F4 paper."),
    "letter_bad_retention": N_("Keep residents' details between %(minimum)s and %(maximum)s days."),
    "letter_bad_village_code": N_(
        "The village's code for letters may have at most 30 characters, without / or braces."
    ),
    "letter_already_void": N_("This letter is already void."),
    "letter_text_purged": N_(
        "This letter's text was deleted with the resident's details after the retention period: it cannot be "
        "printed again. Its entry in the register stays."
    ),
    "letter_not_found": N_("There is no letter with this code in the register."),
    "letter_template_empty": N_("The letter's text is empty."),
    "letter_template_too_long": N_("The letter's text may have at most %(maximum)s characters."),
    "letter_template_unknown": N_("Unknown placeholders: %(names)s. This letter may use %(known)s."),
    "letter_template_braces": N_("A { or } is not part of a placeholder such as {nama}."),
    "done_letter_request": N_("The request was saved."),
    "done_letter_issue": N_("Letter %(number)s was issued. Print it now."),
    "done_letter_reject": N_("The request was rejected; the resident sees the reason."),
    "done_letter_collected": N_("The letter was marked as collected."),
    "done_letter_void": N_("Letter %(number)s is void. It stays in the register."),
    "done_letter_template": N_("The letter's text was saved."),
    "done_letter_settings": N_("The letter settings were saved."),
    # Budget.
    "budget_year_not_found": N_("There is no village budget for %(year)s."),
    "budget_year_exists": N_("The budget for %(year)s already exists."),
    "budget_bad_year": N_("The year must be between %(minimum)s and %(maximum)s."),
    "budget_bad_date": N_("%(value)s is not a date. Pick one or write it as YYYY-MM-DD."),
    "budget_bad_kind": N_("Line %(line)s: unknown kind “%(kind)s”. Use income, spending or financing."),
    "budget_category_required": N_("Line %(line)s: the source of income or the field (bidang) is missing."),
    "budget_name_required": N_("Line %(line)s: the name is missing."),
    "budget_too_long": N_("Line %(line)s: the text is too long (at most %(maximum)s characters)."),
    "budget_bad_amount": N_("Line %(line)s: “%(value)s” is not an amount. Write whole rupiah, e.g. 1.250.000."),
    "budget_negative_amount": N_("Line %(line)s: an amount cannot be below zero (%(value)s)."),
    "budget_duplicate_line": N_("Line %(line)s: “%(name)s” appears twice in the same category."),
    "budget_unknown_line": N_("Line %(line)s was removed meanwhile. Reload the page and try again."),
    "budget_csv_encoding": N_("This file is not a CSV text file. Save the spreadsheet as CSV and try again."),
    "budget_csv_header": N_("The file's first line must name the columns: kind, category, name, budget, realised."),
    "budget_csv_columns": N_("Line %(line)s has %(found)s columns instead of %(expected)s."),
    "budget_csv_empty": N_("The file has no budget lines."),
    "budget_csv_missing": N_("Choose a CSV file to import."),
    "budget_confirm_replace": N_("Tick the box to confirm that the file replaces all lines of %(year)s."),
    "budget_over_warning": N_("Please check: more was realised than budgeted for %(names)s."),
    "done_budget_created": N_("The budget for %(year)s was started."),
    "done_budget_saved": N_("The budget for %(year)s was saved."),
    "done_budget_imported": N_("%(count)s lines were imported into the budget for %(year)s."),
    # Polls.
    "poll_not_found": N_("This poll does not exist."),
    "poll_title_required": N_("A poll needs a title (at most 200 characters)."),
    "poll_bad_option_line": N_("This option line cannot be used: %(line)s"),
    "poll_option_count": N_("A poll needs at least 2 and at most %(maximum)s options, one per line."),
    "poll_duplicate_option": N_("Two options have the same name."),
    "poll_bad_max_choices": N_("The number of choices must be between 1 and %(options)s (the number of options)."),
    "poll_closes_in_past": N_("The closing time has passed. Set a closing time in the future, or none."),
    "poll_has_ballots": N_(
        "People have already voted in this poll: its kind, voting method, number of choices and options"
        " can no longer be changed."
    ),
    "poll_already_open": N_("This poll is already open."),
    "poll_not_open": N_("This poll is not open."),
    "poll_not_binding": N_("Voting codes are only for binding polls."),
    "poll_code_count": N_("Make between 1 and %(maximum)s voting codes at a time."),
    "poll_closed": N_("Voting in “%(title)s” is closed."),
    "poll_no_choice": N_("Choose at least one option."),
    "poll_too_many_choices": N_("Choose at most %(maximum)s options."),
    "poll_bad_option": N_("That choice is not an option of this poll. Please choose again."),
    "poll_voter_unknown": N_("Your phone could not be recognised. Please try again."),
    "poll_accept_wifi": N_("To vote, first accept the terms of the village Wi-Fi on this phone, then come back."),
    "already_voted": N_("You have already voted in this poll."),
    "voting_code_required": N_("Type the voting code from your slip."),
    "voting_code_unknown": N_("This voting code is not known. Check the code on your slip and type it again."),
    "voting_code_other_poll": N_("This voting code belongs to another poll."),
    "voting_code_used": N_("This voting code has already been used."),
    "done_poll_create": N_("The poll “%(title)s” was saved as a draft."),
    "done_poll_update": N_("The poll “%(title)s” was saved."),
    "done_poll_open": N_("The poll “%(title)s” is open for votes."),
    "done_poll_close": N_("The poll “%(title)s” is closed."),
    "done_poll_publish": N_("Residents can now see the results of “%(title)s”."),
    "done_poll_hide": N_("The results of “%(title)s” are hidden from residents."),
    # The sync with the district (the console's sync page says why the last attempt failed).
    "sync_unreachable": N_("The district hub could not be reached. The internet may be down; Balai keeps trying."),
    "sync_timeout": N_("The district hub did not answer in time. The link may be slow; Balai keeps trying."),
    "sync_hub_error": N_("The district hub had a problem. Balai keeps trying; nothing is lost meanwhile."),
    "sync_refused": N_(
        "The district hub refused this village. Check the village code and key with the district's administrator."
    ),
    "sync_bad_answer": N_("The answer from the district hub could not be trusted, so it was not used."),
    "sync_bad_key": N_("The village key (BALAI_UPSTREAM_KEY) is missing or mistyped. Ask the district for it."),
    "sync_no_village_code": N_(
        "The village has no 10-digit Kemendagri code. Enter it in the village profile or set BALAI_VILLAGE_CODE."
    ),
    "sync_moved": N_(
        "The district hub answers at another address. Ask the district for the right address (BALAI_UPSTREAM_URL)."
    ),
    "sync_failed": N_(
        "The sync stopped on an unexpected problem; the worker's log has the details. Balai keeps trying."
    ),
    "done_sync_now": N_("Balai will contact the district hub within a minute."),
    # Backups (the console's backups page; portal.web.backups_admin.plain picks one for a backup error).
    "backup_wrong_passphrase": N_("The passphrase is wrong for this backup. Nothing was changed."),
    "backup_needs_passphrase": N_("This backup is encrypted: type its passphrase. Nothing was changed."),
    "backup_not_a_backup": N_(
        "This file is not a Balai backup (their names end in .balai-backup). Nothing was changed."
    ),
    "backup_damaged": N_(
        "This backup is damaged (incomplete or changed), so it cannot be restored. Try another copy, such as the"
        " one on the USB stick. Nothing was changed."
    ),
    "backup_too_new": N_(
        "This backup comes from a newer version of Balai. Ask the technician to update Balai first. Nothing was"
        " changed."
    ),
    "backup_disk_full": N_("The Pi's disk is full. Nothing was deleted. Ask the technician to make room."),
    "backup_failed": N_("This did not work, and nothing was changed. The technician may need the detail below."),
    "backup_too_large": N_(
        "The file is larger than %(limit_mb)s MB, the most the console takes. Ask the technician to restore it."
    ),
    "backup_choose": N_("Choose a backup file, or one of the Pi's backups."),
    "backup_unknown": N_("There is no such backup on the Pi (any more)."),
    "backup_busy": N_("A restore is already waiting. Wait until it is done, or cancel it first."),
    "backup_expired": N_("This check has expired or was cancelled. Please check the backup again."),
    "done_backup_made": N_("A backup was made (%(size)s)."),
    "done_backup_plain": N_(
        "It is not encrypted: keep it safe, it holds residents' complaints and officials' accounts."
    ),
    "done_restore_cancelled": N_("The restore was cancelled. Nothing was changed."),
    # The district hub (its dashboard and its command line).
    "hub_bad_code": N_("%(village)s is not a village code: a Kemendagri code has 10 digits, such as 3203112005."),
    "hub_bad_name": N_("The village needs a name (at most 120 characters)."),
    "hub_village_exists": N_("The village %(village)s is already registered."),
    "hub_unknown_village": N_("There is no village %(village)s on this hub."),
    "hub_bad_role": N_("Unknown role %(role)s: use admin or staff."),
    "hub_bad_kind": N_("Choose whether this is an announcement or a message."),
    "hub_bad_title": N_("The title is empty or longer than 200 characters."),
    "hub_body_too_long": N_("The text is longer than 8000 characters."),
    "hub_no_villages": N_("Choose at least one village."),
    "hub_expiry_past": N_("The end date must be in the future."),
    "hub_unknown_notice": N_("This notice does not exist."),
    "hub_bad_expiry": N_("The end date is not a date."),
    "hub_not_your_notice": N_(
        "This notice also went to villages you do not look after. Ask a district administrator to withdraw it."
    ),
    "hub_login_throttled": N_("Too many wrong sign-ins. Please wait %(minutes)s minutes and try again."),
    "done_hub_sent": N_("Sent. The villages receive it the next time they sync."),
    "done_hub_withdrawn": N_("Withdrawn. The villages remove it the next time they sync."),
    # The first-run setup wizard and the services & counters page.
    "setup_done": N_("This appliance is set up already. Please sign in."),
    "bad_village_code": N_("A Kemendagri code has 10 digits, such as 32.01.01.2001. Leave it empty if unsure."),
    "logo_bad_type": N_("The logo must be a PNG or JPEG picture."),
    "bad_service_prefix": N_("The ticket letter must be one or two letters, A to Z."),
    "bad_service_code": N_("Use lowercase letters, digits and - only, such as ktp or surat-domisili."),
    "service_has_tickets": N_(
        "“%(service)s” already has queue tickets, so it cannot be removed. Untick “Open” to close it instead."
    ),
    "counter_has_tickets": N_(
        "“%(counter)s” has already called tickets, so it cannot be removed. Untick “Open” to close it instead."
    ),
    "counter_needs_service": N_("Choose at least one service that %(counter)s serves."),
    "no_services": N_("Keep at least one service."),
    "no_counters": N_("Keep at least one counter."),
    "desk_gone": N_("This row was removed meanwhile. Reload the page and try again."),
    "done_desks": N_("The services and counters were saved."),
    "bad_service_time": N_("Write a time of day such as 08:00, or leave it empty."),
    "closes_before_opening": N_(
        "The closing time must be later than the opening time (%(opens_at)s). Leave both empty to keep the service"
        " open at every hour."
    ),
    "bad_daily_cap": N_("The daily limit is a whole number of tickets, 1 to %(maximum)s. Leave it empty for no limit."),
    # The console's village page.
    "done_village": N_("The village's details were saved."),
    "done_village_unchanged": N_("Nothing was changed."),
    "done_logo": N_("The new logo is printed on kiosk receipts from the next one on; the kiosks need no restart."),
    "done_test_print": N_("A test receipt is on its way to %(kiosk)s."),
    # Confirmations on the counter panel.
    "done_call_next": N_("Called %(number)s."),
    "done_recall": N_("Called %(number)s again."),
    "done_start": N_("Serving %(number)s."),
    "done_complete": N_("%(number)s is done."),
    "done_skip": N_("%(number)s was skipped (no-show)."),
    "done_transfer": N_("%(number)s was sent to another service."),
    "done_requeue": N_("%(number)s is back in the queue."),
    "done_cancel": N_("%(number)s was cancelled."),
    "done_reprint": N_("The receipt of %(number)s will be printed again."),
    "done_confirm": N_("The receipt of %(number)s is marked as printed."),
    "done_saved": N_("Saved."),
    "done_deleted": N_("Deleted."),
    "done_unpublished": N_("The announcement is hidden from every screen."),
    "confirm_delete": N_("Tick the box to confirm the deletion."),
    "done_revoke": N_("The phone %(ip)s is no longer let through."),
    # Setting the appliance's clock from the console.
    "clock_no_time": N_("Choose the correct date and time, as your phone or watch shows it."),
    "clock_implausible": N_(
        "%(time)s cannot be the right time: the clock can only be set between 2025 and 2100. Check your device's date."
    ),
    "clock_changed_meanwhile": N_(
        "The clock was changed since this page was shown (the same confirmation sent twice, or by another "
        "admin). Look at the time again before changing it."
    ),
    "clock_request_failed": N_(
        "The request to set the clock could not be written to %(path)s (%(problem)s). Nothing was changed."
    ),
}

# A kiosk's printer as the console and the kiosk screen name it (kiosks.printer_state).
PRINTER = {
    "ok": N_("Printer ready"),
    "near_end": N_("Paper nearly out"),
    "out": N_("Out of paper"),
    "unreachable": N_("Printer not connected: check its cable and power"),
    "unknown": N_("Paper status unknown: the printer does not answer"),
    "offline": N_("The kiosk's printing program is not running"),
    "never": N_("The kiosk's printing program has not connected yet"),
}

# What the kiosk screen says about a resident's receipt (PrintJobs.for_ticket).
RECEIPT = {
    "printing": N_("Your receipt is being printed…"),
    "printed": N_("Your receipt is printed. Please take it."),
    "out": N_("The printer is out of paper: your receipt cannot be printed now."),
    "unreachable": N_("The printer is not working: your receipt cannot be printed now."),
    "offline": N_("The printer is not working: your receipt cannot be printed now."),
    "never": N_("The printer is not working: your receipt cannot be printed now."),
    "uncertain": N_("Your receipt may not have printed completely."),
}

# The audit log's actions in plain words (portal.web.audited.action_label); content kinds use
# AUDIT_CONTENT with the kind's title, an action missing from both is shown as it is stored.
AUDIT_ACTIONS = {
    "login": N_("Signed in"),
    "login.failed": N_("Sign-in failed: wrong username or password"),
    "login.locked": N_("Sign-in refused: too many wrong passwords"),
    "password.change": N_("Changed their own password"),
    "user.create": N_("Added an official"),
    "user.role": N_("Changed an official's role"),
    "user.password": N_("Set a new password for an official"),
    "user.unlock": N_("Unlocked an official's sign-in"),
    "user.delete": N_("Removed an official"),
    "counter.call_next": N_("Called the next ticket"),
    "counter.recall": N_("Called a ticket again"),
    "counter.start": N_("Started serving a ticket"),
    "counter.complete": N_("Finished a ticket"),
    "counter.skip": N_("Skipped a ticket (nobody came)"),
    "counter.transfer": N_("Sent a ticket to another service"),
    "ticket.requeue": N_("Put a skipped ticket back in the queue"),
    "ticket.cancel": N_("Cancelled a ticket"),
    "ticket.reprint": N_("Printed a receipt again"),
    "print.confirm": N_("Marked a receipt as printed"),
    "printer.test": N_("Printed a test receipt"),
    "hotspot.revoke": N_("Stopped letting a phone through the Wi-Fi"),
    "content.import": N_("Imported a content pack"),
    "budget_year.create": N_("Started a budget year"),
    "budget_year.update": N_("Changed a budget year"),
    "budget_line.create": N_("Added a budget line"),
    "budget_line.update": N_("Changed a budget line"),
    "budget_line.delete": N_("Deleted a budget line"),
    "budget.import": N_("Imported budget lines from a file"),
    "complaint.update": N_("Updated or answered a complaint"),
    "complaint.assign": N_("Routed a complaint"),
    "letter_request.update": N_("Changed a letter request (its answers or status)"),
    "letter.issue": N_("Issued a letter (numbered in the register)"),
    "letter.print": N_("Printed a letter"),
    "letter.reprint": N_("Printed a letter again"),
    "letter.void": N_("Voided a letter (it stays in the register)"),
    "letters.settings": N_("Changed the letter settings (number format, paper, retention)"),
    "letter_type.template": N_("Changed the text of a letter type"),
    "letter_request.purge": N_("Deleted residents' details from letter requests past the retention period"),
    "poll.create": N_("Created a poll"),
    "poll.update": N_("Changed a poll"),
    "poll.open": N_("Opened a poll for votes"),
    "poll.close": N_("Closed a poll"),
    "poll.results": N_("Showed or hid a poll's results"),
    "poll.codes": N_("Made voting codes"),
    "clock.set": N_("Set the appliance's clock"),
    "backup.create": N_("Made a backup"),
    "backup.download": N_("Downloaded a backup"),
    "backup.restore_request": N_("Asked for a backup to be restored"),
    "backup.restore_cancel": N_("Cancelled a restore"),
    "backup.restored": N_("Restored a backup"),
    "backup.restore_failed": N_("A restore did not succeed (nothing was changed)"),
    "counter.create": N_("Added a counter"),
    "counter.update": N_("Changed a counter"),
    "counter.delete": N_("Removed a counter"),
    "village.update": N_("Changed the village's details"),
    "setup.village": N_("First-run setup: saved the village's identity"),
    "setup.hotspot": N_("First-run setup: saved the Wi-Fi name"),
    "setup.services": N_("First-run setup: saved the services and counters"),
    "setup.printer": N_("First-run setup: finished the printer test"),
    "setup.admin": N_("First-run setup: created the first admin"),
}
AUDIT_CONTENT = {
    "create": N_("Added to %(kind)s"),
    "update": N_("Changed in %(kind)s"),
    "delete": N_("Deleted from %(kind)s"),
}
# The audit log's detail names in plain words (others are shown as they are stored).
AUDIT_FIELDS = {
    "ticket": N_("ticket"),
    "counter": N_("counter"),
    "to_service": N_("sent to"),
    "kiosk": N_("kiosk"),
    "phone": N_("phone's address"),
    "mac": N_("phone's hardware address"),
    "username": N_("username"),
    "role": N_("role"),
    "sessions_ended": N_("signed out everywhere"),
    "locked_until": N_("locked until"),
    "time": N_("the clock's time"),  # clock.set
    "boot": N_("the appliance's start (boot id)"),  # clock.set: a hand setting lasts until the next start
    "wifi_name": N_("Wi-Fi name"),  # village.update
    "timezone": N_("time zone"),
    "logo": N_("logo (a fingerprint of the picture)"),
    "opens_at": N_("opens at"),  # service.update
    "closes_at": N_("closes at"),
    "number": N_("letter number"),  # letter.issue, letter.print, letter.void
    "request": N_("letter request"),
    "print": N_("print number (1: the first)"),
    "fields": N_("answers changed"),  # letter_request.update: the fields' names, never their values
    "length": N_("length of the text (characters)"),  # letter_type.template
    "requests": N_("letter requests"),  # letter_request.purge: how many
    "daily_cap": N_("daily ticket limit (0: none)"),
}

# Ticket statuses as people read them (in messages such as wrong_state).
STATUSES = {
    "waiting": N_("waiting"),
    "called": N_("called"),
    "serving": N_("being served"),
    "done": N_("finished"),
    "skipped": N_("skipped"),
    "cancelled": N_("cancelled"),
    "expired": N_("expired"),
}


def render(code, details=None, translate=lambda text: text):
    """The message for ``code`` with its ``details`` dict filled in (unknown codes get the generic one)."""
    template = translate(MESSAGES.get(code, MESSAGES["server_error"]))
    details = {k: ("" if v is None else v) for k, v in (details or {}).items()}
    if details.get("status") in STATUSES:
        details["status"] = translate(STATUSES[details["status"]])
    try:
        return template % details
    except (KeyError, TypeError, ValueError):
        return template
