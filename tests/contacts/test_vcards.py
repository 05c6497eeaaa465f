"""vCards as address books export them: one contact per card, the TEL by type (mobile first),
names as template columns, row = the card's position.

The cards are written here the way each program writes them (Apple's item labels, Android's
quoted-printable 2.1 names with soft line breaks, Outlook's 2.1 in Windows-1252, 4.0 `tel:`
URIs, folded lines), and one file is made by vobject itself.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from campaigns.cli.main import main
from campaigns.compose.template import Template
from campaigns.contacts.book import load_contacts
from campaigns.errors import InputError

APPLE = """BEGIN:VCARD\r
VERSION:3.0\r
PRODID:-//Apple Inc.//macOS 15.1//EN\r
N:Garcia;Maria;;;\r
FN:Maria Garcia\r
ORG:Garcia Dental;\r
PHOTO;ENCODING=b;TYPE=JPEG:/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAMCAgMCAgMDAwMEAwMEBQgFBQQEBQoH\r
 BwYHBwYIDAoMCAoLCwsMDhAQDQ4RDgsLEBYQERMUFRUVDA8XGBYUGBIUFRT/2wBDAQMEBAUEBQkFBQkUDQsNFBQU\r
item1.TEL;type=pref:+1 (415) 555-0199\r
item2.TEL:(415) 555-2671\r
item2.X-ABLabel:_$!<Mobile>!$_\r
TEL;type=HOME;type=VOICE:(415) 555-0100\r
EMAIL;type=INTERNET;type=HOME;type=pref:maria@example.com\r
END:VCARD\r
"""

ANDROID = (
    "BEGIN:VCARD\r\n"
    "VERSION:2.1\r\n"
    "N;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:=4D=C3=BC=6C=6C=65=72;=4C=75=6B=61=73;;;\r\n"
    "FN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:=4C=75=6B=61=73=20=4D=C3=BC=6C=6C=65=72=20=\r\n"
    "=28=42=65=72=6C=69=6E=29\r\n"
    "NOTE;ENCODING=QUOTED-PRINTABLE:TEL;CELL:not a number=\r\n"
    "TEL;CELL:+1 212 555 0000\r\n"  # the quoted-printable note going on: not a TEL
    "TEL;HOME:+49 30 901820\r\n"
    "TEL;CELL;PREF:+49 151 23456789\r\n"
    "END:VCARD\r\n"
)

VCARD4 = """BEGIN:VCARD
VERSION:4.0
FN:Aisha Khan
N:Khan;Aisha;;;
TEL;VALUE=uri;TYPE=work:tel:+1-312-555-0000;ext=12
TEL;VALUE=uri;PREF=1;TYPE="voice,cell":tel:+1-312-555-4410
END:VCARD
BEGIN:VCARD
VERSION:4.0
FN:Fax Only Ltd
TEL;TYPE=fax,work:+1 212 555 7842
END:VCARD
BEGIN:VCARD
VERSION:3.0
FN:Wei Chen with a name folded over
  two lines
TEL;TYPE=WORK,VOICE:+1 646 555 3198
TEL;TYPE=HOME,VOICE:+1 646 555 3199
END:VCARD
"""


def write(tmp_path: Path, text: str, encoding: str = "utf-8", name: str = "c.vcf") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_apple_android_and_4_0_cards_take_the_mobile_and_their_names(tmp_path: Path) -> None:
    book = load_contacts(write(tmp_path, APPLE + ANDROID + VCARD4))
    assert book.file_format == "vCard 2.1, 3.0 and 4.0" and book.first_row == 1
    assert book.rows == 5 and book.phone_column == "Phone"
    by_row = {c.row: c for c in book.contacts}
    maria, lukas, aisha, wei = by_row[1], by_row[2], by_row[3], by_row[5]
    # Apple: the "Mobile" item label wins over the preferred (unlabelled) and home numbers
    assert maria.phone == "+14155552671" and maria.fields["Phone Type"] == "Mobile"
    assert maria.fields["Other Phones"] == "+1 (415) 555-0199, (415) 555-0100"
    assert (maria.fields["First Name"], maria.fields["Last Name"]) == ("Maria", "Garcia")
    assert maria.fields["Organization"] == "Garcia Dental"
    assert maria.fields["Email"] == "maria@example.com"
    # Android 2.1: quoted-printable UTF-8 with a soft line break, bare CELL parameter
    assert lukas.fields["Full Name"] == "Lukas Müller (Berlin)"
    assert lukas.fields["Last Name"] == "Müller" and lukas.phone == "+4915123456789"
    assert lukas.fields["Phone Type"] == "cell"
    assert lukas.fields["Other Phones"] == "+49 30 901820"  # the note's text is no number
    # 4.0: a tel: URI keeps its number, the cell one is chosen over work;ext=12
    assert aisha.phone == "+13125554410" and aisha.fields["Other Phones"] == "+1-312-555-0000"
    # no label says mobile: the first number; the folded name is one line
    assert wei.phone == "+16465553198"
    assert wei.fields["Full Name"] == "Wei Chen with a name folded over two lines"
    # a card with only a fax number gets no message, named by its card number
    (problem,) = book.problems
    assert (problem.row, problem.kind) == (4, "missing")
    assert {s.source: s.rows for s in book.phone_sources} == {
        "TEL (Mobile)": 1,
        "TEL (cell)": 2,
        "TEL (work)": 1,
    }


def test_names_are_template_columns(tmp_path: Path) -> None:
    book = load_contacts(write(tmp_path, APPLE))
    template = Template.parse("Hi {first_name} {last_name} ({full_name})", book.columns)
    assert template.render(book.contacts[0].fields) == "Hi Maria Garcia (Maria Garcia)"


def test_outlook_2_1_in_windows_1252_with_quoted_printable(tmp_path: Path) -> None:
    card = (
        "BEGIN:VCARD\r\nVERSION:2.1\r\n"
        "N;LANGUAGE=fr;CHARSET=Windows-1252:Dubois;Ren\u00e9e\r\n"
        "FN;ENCODING=QUOTED-PRINTABLE;CHARSET=Windows-1252:Ren=E9e Dubois\r\n"
        "TEL;WORK;VOICE:+33 1 23 45 67 89\r\n"
        "TEL;CELL;VOICE:+33 6 12 34 56 78\r\n"
        "END:VCARD\r\n"
    )
    book = load_contacts(write(tmp_path, card, encoding="cp1252"))
    (contact,) = book.contacts
    assert contact.phone == "+33612345678"
    assert contact.fields["Full Name"] == "Renée Dubois"
    assert contact.fields["First Name"] == "Renée"


def test_a_file_made_by_vobject_and_the_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import vobject

    cards = []
    for given, family, cell in (("Ana", "Souza", "+55 21 98765-4321"), ("Jack", "Ng", "")):
        card = vobject.vCard()
        card.add("n").value = vobject.vcard.Name(family=family, given=given)
        card.add("fn").value = f"{given} {family}"
        if cell:
            tel = card.add("tel")
            tel.value, tel.type_param = cell, "CELL"
        cards.append(card.serialize())
    path = write(tmp_path, "".join(cards), name="export.vcf")
    assert main(["check", str(path), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["format"] == "vCard 3.0" and report["valid"] == 1
    assert report["phone_sources"] == [{"source": "TEL (cell)", "rows": 1}]
    assert report["name_columns"] == ["Full Name", "First Name", "Last Name"]
    assert report["problems"][0]["row"] == 2
    assert main(["check", str(path)]) == 0
    out = capsys.readouterr().out
    assert "vCard 3.0 (row N = card N)" in out
    assert "phone chosen per row, mobile first, into 'Phone': from 'TEL (cell)' for 1" in out


def test_a_cut_file_keeps_its_whole_cards_and_junk_is_a_sentence(tmp_path: Path) -> None:
    cut = APPLE + "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Half a card\r\n"
    book = load_contacts(write(tmp_path, cut))
    assert book.rows == 1 and any("ends inside a card after card 1" in n for n in book.notes)
    with pytest.raises(InputError, match="cannot be read"):
        load_contacts(write(tmp_path, "BEGIN:VCARD\nFN:x\n", name="bad.vcf"))
    with pytest.raises(InputError, match="holds no card"):
        load_contacts(write(tmp_path, "hello\n", name="empty.vcf"))


def test_phone_column_overrides_the_choice(tmp_path: Path) -> None:
    book = load_contacts(write(tmp_path, ANDROID), phone_column="Other Phones")
    assert book.contacts[0].phone == "+4930901820" and not book.phone_sources
