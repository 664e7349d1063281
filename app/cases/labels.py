"""How statuses and timeline events are named to people."""

from flask_babel import lazy_gettext as _l

#: How each status is named to applicants.
STATUS_LABELS = {
    "draft": _l("Not sent yet"),
    "submitted": _l("Sent, waiting for review"),
    "returned": _l("Needs your corrections"),
    "accepted": _l("Accepted"),
    "transferred": _l("With the responsible department"),
    "approved": _l("Approved"),
    "rejected": _l("Rejected"),
    "result_ready": _l("Result ready"),
    "delivered": _l("Delivered"),
    "closed": _l("Closed"),
    "withdrawn": _l("Withdrawn"),
}

#: How each event is worded on the timeline.
EVENT_LABELS = {
    "started": _l("You started the application"),
    "submitted": _l("You sent the application"),
    "resubmitted": _l("You sent your corrections"),
    "returned": _l("The office asked for corrections"),
    "accepted": _l("The office accepted the application"),
    "transferred": _l("Passed to the responsible department"),
    "transfer_back": _l("The department returned its result to the office"),
    "approved": _l("Approved"),
    "rejected": _l("Rejected"),
    "result_ready": _l("The result is ready"),
    "delivered": _l("The result was delivered"),
    "closed": _l("Closed"),
    "withdrawn": _l("You withdrew the application"),
    "converted": _l("The window found the service for your matter: please complete the "
                    "application"),
    "answered": _l("The window answered your matter"),
    "claimed": _l("A clerk is handling your application"),
    "reminder": _l("Reminder sent about materials you owe"),
    "deferred_supplied": _l("You sent a material you had promised"),
    "deferred_waived": _l("The office no longer needs the materials you promised"),
    "message": _l("Message from the office"),
    "assisted": _l("Started with a volunteer at a service point"),
    "signed_scan": _l("A scan of a signed paper form was added"),
    "video_booked": _l("Video identity check booked"),
    "video_rescheduled": _l("Video identity check moved to another time"),
    "video_cancelled": _l("Video identity check cancelled"),
    "video_confirmed": _l("Identity confirmed in the video check"),
    "video_not_confirmed": _l("The video check could not confirm the identity"),
    "access_code_replaced": _l("A new access code was made at the service point"),
    "agent_code_issued": _l("Your entrusted relative received their own access code"),
    "rating_invited": _l("We asked you to rate this service"),
    "rated": _l("You rated this service"),
    "rating_changed": _l("You changed your rating"),
    "follow_up_reply": _l("The window's answer to your rating"),
    # Only on the staff timeline.
    "answers_changed": _l("Answers changed"),
    "entrustment_changed": _l("Entrustment changed"),
    "deferred_changed": _l("Materials to send later changed"),
    "file_added": _l("File added"),
    "file_removed": _l("File removed"),
    "material_reviewed": _l("Verdict on a material"),
    "note": _l("Internal note"),
}

#: How each delivery method is named.
DELIVERY_LABELS = {
    "courier": _l("By courier to your address abroad"),
    "agent_pickup": _l("Collected by your entrusted relative at home"),
    "self_pickup": _l("Collected by you at the window"),
    "electronic": _l("Electronic document by email"),
}

#: The same, as staff read them: the applicant is "the applicant", not "you".
STAFF_STATUS_LABELS = {
    **STATUS_LABELS,
    "submitted": _l("Waiting for review"),
    "returned": _l("Returned to the applicant for corrections"),
}
STAFF_EVENT_LABELS = {
    **EVENT_LABELS,
    "started": _l("The applicant started the application"),
    "submitted": _l("The applicant sent the application"),
    "resubmitted": _l("The applicant sent corrections"),
    "returned": _l("Returned to the applicant for corrections"),
    "withdrawn": _l("The applicant withdrew the application"),
    "converted": _l("The window found the service for the matter; the applicant completes "
                    "the application"),
    "answered": _l("The window answered the matter"),
    "claimed": _l("A clerk took the case"),
    "reminder": _l("Reminder sent to the applicant about owed materials"),
    "deferred_supplied": _l("The applicant sent a promised material"),
    "deferred_waived": _l("The promised materials were waived"),
    "message": _l("Message to the applicant"),
    "agent_code_issued": _l("The entrusted relative received their own access code"),
    "rating_invited": _l("Invitation to rate sent to the applicant"),
    "rated": _l("The applicant rated the service"),
    "rating_changed": _l("The applicant changed their rating"),
    "follow_up_reply": _l("Reply to the applicant's rating"),
}

#: Events of the entrusted agent worded apart (their ``actor`` is ``agent``): the
#: applicant's timeline, then the staff's.
AGENT_EVENT_LABELS = {"rated": _l("Your entrusted agent rated this service"),
                      "rating_changed": _l("Your entrusted agent changed their rating")}
STAFF_AGENT_EVENT_LABELS = {"rated": _l("The entrusted agent rated the service"),
                            "rating_changed": _l("The entrusted agent changed their rating")}


def event_label(event, staff: bool = False) -> str:
    """How ``event`` is worded on the applicant's timeline (``staff``: the staff's)."""
    if event.actor == "agent":
        agent = (STAFF_AGENT_EVENT_LABELS if staff else AGENT_EVENT_LABELS).get(event.kind)
        if agent is not None:
            return agent
    return (STAFF_EVENT_LABELS if staff else EVENT_LABELS).get(event.kind, event.kind)


STAFF_DELIVERY_LABELS = {
    "courier": _l("By courier to the applicant's address abroad"),
    "agent_pickup": _l("Collected by the entrusted relative at home"),
    "self_pickup": _l("Collected by the applicant at the window"),
    "electronic": _l("Electronic document by email"),
}
