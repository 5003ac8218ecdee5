"""The word lists the demo seed (:mod:`emulator.seed`) draws its other records from.

Everything here is invented: company cores are generic words, people's names are common given
names and surnames, phone numbers use the 555-01XX block reserved for fiction, and every e-mail
and web domain is a subdomain of ``example.com`` (reserved by RFC 2606).
"""

from __future__ import annotations


def _split(text: str) -> tuple[str, ...]:
    return tuple(word.strip() for word in text.split(",") if word.strip())


FIRST_NAMES = _split("""
    Olivia, Liam, Emma, Noah, Sofía, Mateo, Amara, Kenji, Chloé, Lucas, Priyanka, Diego, Hannah,
    Omar, Isabel, Ethan, Mei, Jonas, Fatima, Caleb, Zoë, Rafael, Leah, Tomás, Grace, Andrés, Nadia,
    Felix, Aisha, Marcus, Elena, Samuel, Yuki, Daniel, Camila, Owen, Ingrid, Julian, Renée, Victor,
    Maya, Adrian, Lucía, Henry, Nora, Elijah, Clara, Gabriel, Ava, Hugo
""")
LAST_NAMES = _split("""
    Smith, Johnson, Nguyen, Hernández, Okafor, Kim, Müller, Rossi, Patel, Cohen, Dubois, Martínez,
    Brown, Tanaka, Walker, López, Schmidt, Ali, Andersen, Fischer, Moreau, Silva, Wright, Khan,
    Novak, Ramírez, Clarke, Costa, Lindqvist, O'Brien, Yamamoto, Baker, Jensen, Castillo, Turner,
    Ibrahim, Kowalski, Murphy, Sato, Reyes, Bennett, Larsen, Chavez, Hughes, Mendes, Park, Foster,
    Ortiz, Weber, Coleman
""")
#: First halves of company names.
COMPANY_CORES = _split("""
    Northwind, Blue Harbor, Summit, Pinecrest, Redwood, Silverline, Brightwater, Ironbridge,
    Cedar Point, Lakeshore, Granite Peak, Evergreen, Harborview, Copperfield, Stonegate, Riverbend,
    Oakridge, Sunrise, Westfield, Clearwater, Falcon, Meridian, Juniper, Bluebird, Highland,
    Trailhead, Beacon, Keystone, Maple Leaf, Horizon, Crescent, Fairview, Golden Gate, Bayside,
    Aurora, Pioneer, Sterling, Willow Creek, Atlas, Harvest Moon
""")
#: Second halves of company names, by the Industry picklist value they imply.
INDUSTRY_NOUNS = {
    "Technology": ("Software", "Systems", "Labs"),
    "Healthcare": ("Health", "Medical Group", "Clinics"),
    "Manufacturing": ("Manufacturing", "Industries", "Fabrication"),
    "Retail": ("Outfitters", "Market", "Home Goods"),
    "Finance": ("Capital", "Financial", "Wealth Partners"),
    "Banking": ("Bank", "Credit Union"),
    "Transportation": ("Logistics", "Freight", "Transit"),
    "Energy": ("Energy", "Power", "Solar"),
    "Hospitality": ("Hotels", "Resorts", "Inn Group"),
    "Food & Beverage": ("Foods", "Brewing", "Coffee Roasters"),
    "Construction": ("Builders", "Construction", "Contracting"),
    "Education": ("Academy", "Learning", "Institute"),
    "Telecommunications": ("Telecom", "Networks", "Wireless"),
    "Insurance": ("Insurance", "Mutual", "Assurance"),
    "Media": ("Media", "Studios", "Publishing"),
    "Consulting": ("Consulting", "Partners", "Advisors"),
    "Biotechnology": ("Biosciences", "Therapeutics", "Genomics"),
    "Agriculture": ("Farms", "Agritech", "Growers"),
    "Utilities": ("Water & Power", "Utilities"),
    "Not For Profit": ("Foundation", "Alliance"),
}
COMPANY_SUFFIXES = ("", "", "", " Inc.", " LLC", " Group", " Ltd.")

#: ``(city, state code, ZIP prefix, area code)`` of US cities.
CITIES = (
    ("San Francisco", "CA", "941", "415"),
    ("Austin", "TX", "787", "512"),
    ("Seattle", "WA", "981", "206"),
    ("Denver", "CO", "802", "303"),
    ("Chicago", "IL", "606", "312"),
    ("Boston", "MA", "021", "617"),
    ("New York", "NY", "100", "212"),
    ("Atlanta", "GA", "303", "404"),
    ("Miami", "FL", "331", "305"),
    ("Portland", "OR", "972", "503"),
    ("Phoenix", "AZ", "850", "602"),
    ("Minneapolis", "MN", "554", "612"),
    ("Nashville", "TN", "372", "615"),
    ("San Diego", "CA", "921", "619"),
    ("Raleigh", "NC", "276", "919"),
    ("Salt Lake City", "UT", "841", "801"),
    ("Columbus", "OH", "432", "614"),
    ("Pittsburgh", "PA", "152", "412"),
)
STREETS = _split("""
    Market Street, Main Street, Oak Avenue, Mission Street, Congress Avenue, Pine Street,
    Harbor Way, Elm Street, Cedar Lane, Lakeview Drive, Park Avenue, Broadway, Commerce Street,
    Maple Avenue, Riverside Drive, Industrial Parkway
""")

#: ``(title, department)`` of contacts and leads.
TITLES = (
    ("VP of Sales", "Sales"),
    ("Director of Operations", "Operations"),
    ("IT Manager", "IT"),
    ("Chief Financial Officer", "Finance"),
    ("Procurement Specialist", "Procurement"),
    ("Head of Customer Success", "Customer Success"),
    ("Office Manager", "Administration"),
    ("Chief Executive Officer", "Executive"),
    ("Marketing Manager", "Marketing"),
    ("Facilities Manager", "Facilities"),
    ("Engineering Lead", "Engineering"),
    ("Purchasing Manager", "Procurement"),
    ("Controller", "Finance"),
    ("Operations Analyst", "Operations"),
)
PRODUCTS = _split("""
    Platform Renewal, 50 Seat Expansion, Onboarding Services, Annual Support Plan, Pilot Program,
    Enterprise License, Hardware Refresh, Data Migration Project, Training Package,
    Multi-year Agreement, Analytics Add-on, Field Service Rollout
""")
NEXT_STEPS = _split("""
    Send revised quote, Schedule demo with IT, Legal review of MSA, Confirm budget owner,
    Security questionnaire, Executive sponsor call, Finalize pricing
""")
#: ``(Subject, Type, Reason)`` of cases.
CASE_SUBJECTS = (
    ("Device will not power on", "Electrical", "Breakdown"),
    ("Installation date needs to change", "Other", "Installation"),
    ("Invoice shows the wrong amount", "Other", "Other"),
    ("Unit is overheating after an hour", "Mechanical", "Performance"),
    ("Display flickers intermittently", "Electronic", "Performance"),
    ("Request for a replacement part", "Mechanical", "Breakdown"),
    ("Setup instructions are unclear", "Other", "Equipment Complexity"),
    ("Bracket cracked during mounting", "Structural", "Equipment Design"),
    ("Great service from the field tech", "Other", "Feedback"),
    ("Firmware update failed", "Electronic", "Equipment Complexity"),
)
CALL_SUBJECTS = _split("Call, Discovery call, Follow-up call, Check-in call, Renewal call")
CALL_DISPOSITIONS = _split("Connected, Left voicemail, No answer, Scheduled follow-up")
CALL_NOTES = (
    "Discussed current usage and the upcoming renewal.",
    "Asked for updated pricing for next quarter.",
    "Wants a demo of the reporting features.",
    "Confirmed the delivery date; no open issues.",
    "Raised a billing question; forwarded to finance.",
)
TASK_SUBJECTS = _split("""
    Send proposal, Follow up on quote, Prepare renewal forecast, Update account plan,
    Send contract for signature, Share case study, Book onsite visit
""")
EVENT_SUBJECTS = _split("""
    Meeting, Product demo, Quarterly business review, Onsite visit, Contract review, Kickoff meeting
""")
EVENT_LOCATIONS = _split("Zoom, Google Meet, Customer office, Phone, Microsoft Teams")
