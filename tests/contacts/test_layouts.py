"""Export layouts of address books and CRMs, with their real headers: per row the number most
likely to receive SMS (a mobile label, else a mobile number, else the first), which column or
label it came from, never two people merged; `--phone-column` still wins.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from campaigns.contacts.book import load_contacts
from campaigns.contacts.layouts import MOBILE, NO_SMS, OTHER, label_kind

#: Google Contacts' CSV export (2023 on), the columns that matter and some around them.
GOOGLE_HEADER = [
    "First Name", "Middle Name", "Last Name", "Phonetic First Name", "Nickname", "File As",
    "Organization Name", "Birthday", "Notes", "Labels", "E-mail 1 - Label", "E-mail 1 - Value",
    "Phone 1 - Label", "Phone 1 - Value", "Phone 2 - Label", "Phone 2 - Value",
    "Address 1 - Label", "Address 1 - Formatted",
]  # fmt: skip
#: Outlook's CSV export (Microsoft's column set, in its order, trimmed of addresses).
OUTLOOK_HEADER = [
    "First Name", "Middle Name", "Last Name", "Title", "Suffix", "E-mail Address",
    "Home Phone", "Home Phone 2", "Business Phone", "Business Phone 2", "Mobile Phone",
    "Car Phone", "Other Phone", "Primary Phone", "Pager", "Business Fax", "Home Fax",
    "Other Fax", "Company Main Phone", "Callback", "Radio Phone", "Telex", "TTY/TDD Phone",
    "Assistant's Phone", "ISDN", "Company", "Job Title",
]  # fmt: skip


def write(tmp_path: Path, header: list[str], rows: list[dict[str, str]]) -> Path:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    path = tmp_path / "export.csv"
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


def test_google_contacts_labels_multi_values_and_types(tmp_path: Path) -> None:
    rows = [
        # a home number first and a mobile second: the mobile
        {"First Name": "Maria", "Phone 1 - Label": "Home", "Phone 1 - Value": "+1 415 555 0100",
         "Phone 2 - Label": "Mobile", "Phone 2 - Value": "+1 415 555 2671"},
        # two mobiles in one cell, Google's " ::: ": the first, one contact
        {"First Name": "Harry", "Phone 1 - Label": "Mobile",
         "Phone 1 - Value": "+44 7911 123456 ::: +44 7400 123456"},
        # no label says mobile: the number whose type is mobile (the first is a landline)
        {"First Name": "Sophie", "Phone 1 - Label": "Home", "Phone 1 - Value": "+44 20 7946 0958",
         "Phone 2 - Label": "Work", "Phone 2 - Value": "+44 7911 123457"},
        # a fax only: no number for SMS
        {"First Name": "Fax", "Phone 1 - Label": "Work Fax", "Phone 1 - Value": "+1 212 555 7842"},
        # the primary ("* ") label of several with one label cell: the first of the cell
        {"First Name": "Wei", "Phone 1 - Label": "* Work", "Phone 1 - Value": "+1 646 555 3198"},
        # someone else with Maria's mobile: a duplicate row, never merged into Maria
        {"First Name": "Mario", "Phone 1 - Label": "Mobile", "Phone 1 - Value": "(415) 555-2671"},
    ]  # fmt: skip
    book = load_contacts(write(tmp_path, GOOGLE_HEADER, rows))
    assert book.layout == "Google Contacts" and book.phone_column == "Chosen Phone"
    chosen = {
        c.fields["First Name"]: (c.phone, c.fields["Chosen Phone From"]) for c in book.contacts
    }
    assert chosen == {
        "Maria": ("+14155552671", "Phone 2 - Value (Mobile)"),
        "Harry": ("+447911123456", "Phone 1 - Value (Mobile)"),
        "Sophie": ("+447911123457", "Phone 2 - Value (Work)"),
        "Wei": ("+16465553198", "Phone 1 - Value (Work)"),
    }
    kinds = {p.row: p.kind for p in book.problems}
    assert kinds == {5: "missing", 7: "duplicate"}
    assert any(w.kind == "shared-number" and w.row == 2 for w in book.warnings)
    assert book.rows == 6 and book.columns[-2:] == ["Chosen Phone", "Chosen Phone From"]
    assert {s.source: s.rows for s in book.phone_sources}["Phone 1 - Value (Mobile)"] == 2


def test_older_google_csv_with_type_columns(tmp_path: Path) -> None:
    header = ["Name", "Given Name", "Family Name", "Group Membership",
              "Phone 1 - Type", "Phone 1 - Value", "Phone 2 - Type", "Phone 2 - Value"]  # fmt: skip
    rows = [{"Name": "Ana Silva", "Given Name": "Ana", "Family Name": "Silva",
             "Group Membership": "* myContacts", "Phone 1 - Type": "Work",
             "Phone 1 - Value": "+55 11 3456-7890", "Phone 2 - Type": "Mobile",
             "Phone 2 - Value": "+55 11 91234-5678"}]  # fmt: skip
    book = load_contacts(write(tmp_path, header, rows))
    assert book.layout == "Google Contacts (older CSV)"
    assert book.contacts[0].phone == "+5511912345678"


def test_outlook_mobile_phone_first_then_the_others_never_a_fax(tmp_path: Path) -> None:
    rows = [
        {
            "First Name": "Ada",
            "Business Phone": "+1 212 555 7842",
            "Mobile Phone": "+1 212 555 7843",
        },
        {"First Name": "Bea", "Home Phone": "+1 646 555 3198"},
        {"First Name": "Cy", "Business Fax": "+1 212 555 0000", "Pager": "+1 212 555 0001"},
    ]
    book = load_contacts(write(tmp_path, OUTLOOK_HEADER, rows))
    assert book.layout == "Outlook"
    assert [(c.phone, c.fields["Chosen Phone From"]) for c in book.contacts] == [
        ("+12125557843", "Mobile Phone"),
        ("+16465553198", "Home Phone"),
    ]
    assert [(p.row, p.kind) for p in book.problems] == [(4, "missing")]


def test_hubspot_salesforce_and_mailchimp_are_named(tmp_path: Path) -> None:
    hubspot = ["Record ID", "First Name", "Last Name", "Email", "Phone Number",
               "Mobile Phone Number", "Lifecycle Stage"]  # fmt: skip
    book = load_contacts(
        write(
            tmp_path,
            hubspot,
            [
                {"Record ID": "1", "Phone Number": "+1 312 555 0000", "Mobile Phone Number": ""},
                {
                    "Record ID": "2",
                    "Phone Number": "+1 312 555 0001",
                    "Mobile Phone Number": "+1 312 555 4410",
                },
            ],
        )
    )
    assert book.layout == "HubSpot"
    assert [c.phone for c in book.contacts] == ["+13125550000", "+13125554410"]

    report = ["Contact ID", "First Name", "Last Name", "Account Name", "Phone", "Mobile",
              "Home Phone", "Other Phone", "Fax", "Email", "Mailing City"]  # fmt: skip
    book = load_contacts(
        write(tmp_path, report, [{"Phone": "+1 604 555 0000", "Mobile": "+1 604 555 2290"}])
    )
    assert book.layout == "Salesforce" and book.contacts[0].phone == "+16045552290"

    api = ["Id", "FirstName", "LastName", "Phone", "MobilePhone", "HomePhone", "OtherPhone",
           "AssistantPhone", "Fax", "Email"]  # fmt: skip
    book = load_contacts(
        write(
            tmp_path,
            api,
            [{"FirstName": "Li", "HomePhone": "+1 514 555 0000", "MobilePhone": "+1 514 555 7723"}],
        )
    )
    assert book.layout == "Salesforce" and book.contacts[0].phone == "+15145557723"
    assert "FirstName" in book.name_columns

    mailchimp = ["Email Address", "First Name", "Last Name", "Address", "Phone Number",
                 "Birthday", "MEMBER_RATING", "OPTIN_TIME", "CONFIRM_TIME", "TAGS"]  # fmt: skip
    book = load_contacts(write(tmp_path, mailchimp, [{"Phone Number": "+1 415 555 2671"}]))
    assert book.layout == "Mailchimp"  # one phone column: read as it is, the layout named
    assert book.phone_column == "Phone Number" and not book.phone_sources


def test_phone_column_overrides_the_layout(tmp_path: Path) -> None:
    rows = [
        {
            "First Name": "Ada",
            "Business Phone": "+1 212 555 7842",
            "Mobile Phone": "+1 212 555 7843",
        }
    ]
    book = load_contacts(write(tmp_path, OUTLOOK_HEADER, rows), phone_column="Business Phone")
    assert book.phone_column == "Business Phone" and book.contacts[0].phone == "+12125557842"
    assert "Chosen Phone" not in book.columns


def test_plain_synonyms_and_a_single_column_stay_one_column(tmp_path: Path) -> None:
    path = tmp_path / "plain.csv"
    path.write_text("Name,Phone,Telephone Number\nA,+14155552671,+14155552672\n")
    book = load_contacts(path)
    assert book.phone_column == "Phone" and book.layout is None


def test_label_kinds() -> None:
    assert [label_kind(t) for t in ("Mobile", "* Cell", "iPhone", "Handy", "TYPE=text")] == [
        MOBILE
    ] * 5
    assert [label_kind(t) for t in ("Work Fax", "pager", "TTY/TDD Phone")] == [NO_SMS] * 3
    assert [label_kind(t) for t in ("Home", "Work", "Main", "")] == [OTHER] * 4
