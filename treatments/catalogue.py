"""The texts of the five professional milia treatments and the patient handouts.

Plain data, no Django: ``reference_data.sync_catalogue`` loads it into ``Treatment`` rows after
migrate, and the tests read it without a database. Facts come from the clinical guide the
product rests on, written in our own words. Clinician-facing fields (summary, how_it_works,
who_it_is_for, what_to_expect, typical_course) may use clinical terms; every ``patient_*`` text and
every handout is written for a reading grade of ``LANGUAGE_TARGET_GRADE`` or lower.
"""

LANGUAGE_TARGET_GRADE = 8

# A patient line (do, don't, call us) can be meant for some treated sites only: it then starts
# with one of these tags, and a sheet prints it only when a treated site is in that area.
EYE_ONLY = "[eye] "
FACE_ONLY = "[face] "
BODY_ONLY = "[body] "

# When to call the clinic: standard safety advice, shared by the treatments it applies to.
_CALL_IF_INFECTED = (
    "Call us if the redness spreads.",
    "Call us if the skin gets more swollen, or feels warm.",
    "Call us if you see pus, or if you get a fever.",
    "Call us if the pain gets worse, not better.",
)
_CALL_IF_BLISTER_OR_SCAR = ("Call us if a blister or a scar worries you.",)
_CALL_IF_EYE = (EYE_ONLY + "Call us right away if your eye hurts or your sight changes.",)
_DONT_SQUEEZE = "Do not squeeze or pick at bumps at home."

TREATMENT_CATALOGUE = (
    {
        "code": "extraction",
        "name": "Mechanical extraction",
        "patient_name": "Removal with a fine needle (extraction)",
        "summary": (
            "First-line removal of individual milia: a sterile needle or lancet nicks the surface "
            "over each lesion and the keratin plug is expressed."
        ),
        "how_it_works": (
            "After cleansing the skin, the clinician makes a tiny nick in the epidermis over "
            "each milium with a sterile lancet or fine needle. Gentle pressure from a comedone "
            "extractor then delivers the whole ball of keratin through that opening. Each lesion "
            "takes under a minute, and the surrounding skin is barely disturbed."
        ),
        "who_it_is_for": (
            "Patients with a few to a moderate number of milia; it is the quickest, most direct "
            "way to clear them. It suits delicate sites such as the skin under the eyes, where "
            "other methods could be too harsh."
        ),
        "what_to_expect": (
            "The patient feels a brief pinprick with little discomfort. Mild redness may last "
            "about an hour before it settles. The skin heals almost at once without a visible "
            "scar, and there is no downtime: normal activities can resume straight away."
        ),
        "typical_course": "One visit: the treated milia are removed at that appointment.",
        "default_sessions": 1,
        "default_interval_weeks": None,
        "patient_what_was_done": (
            "We made a tiny opening over each bump with a clean, fine needle. Then we gently "
            "pushed out the small white ball inside. This ball is keratin, a protein your skin "
            "makes."
        ),
        "patient_what_to_expect": (
            "The spots may look a bit red for about an hour. Then the red fades. Your skin heals "
            "fast, and you should not see a scar. You can get back to your day right away."
        ),
        "patient_do": (
            "Go back to your normal day. You do not need to rest.",
            "Put on sunscreen every day while the spots heal.",
            "If the skin feels dry, use a mild moisturiser.",
            "If new bumps come up, book a visit with us.",
        ),
        "patient_dont": (
            _DONT_SQUEEZE,
            "Do not use a pin or a needle on your skin.",
            "Do not buy pore strips or pore products for milia. They do not help.",
        ),
        "patient_call_us": _CALL_IF_INFECTED + _CALL_IF_BLISTER_OR_SCAR + _CALL_IF_EYE,
    },
    {
        "code": "chemical_peel",
        "name": "Chemical peel",
        "patient_name": "Skin peel with a mild acid (chemical peel)",
        "summary": (
            "A series of light AHA or BHA peels that speeds exfoliation, for milia spread over a "
            "broad area and to help keep new ones from forming."
        ),
        "how_it_works": (
            "A professional-strength alpha-hydroxy acid (such as glycolic acid) or beta-hydroxy "
            "acid (such as salicylic acid) is applied to clean skin, then neutralised and taken "
            "off. The acid loosens the bonds that hold dead cells together in the upper layers, "
            "where milia sit. Over several sessions the lesions work their way up and are shed "
            "with the dead cells."
        ),
        "who_it_is_for": (
            "Patients with many milia across a larger area, and those who want prevention as well "
            "as clearance, since regular peels address poor cell turnover. Texture, tone and "
            "brightness often improve too."
        ),
        "what_to_expect": (
            "Sensation varies with the acid used and its concentration, from mild tingling to a "
            "moderate sting, usually for a few minutes. Afterwards the skin can be red and tight "
            "for one or two days and peel or flake lightly for a few days, much like a mild "
            "sunburn. The new skin burns more easily, so a high-SPF sunscreen every day is "
            "essential."
        ),
        "typical_course": "A series of 4–6 sessions a few weeks apart.",
        "default_sessions": 4,
        "default_interval_weeks": 3,
        "patient_what_was_done": (
            "We put a mild acid on your skin for a few minutes, then took it off. The acid helps "
            "your skin shed its top layer of dead cells. Over a few visits, the bumps come up and "
            "shed with it."
        ),
        "patient_what_to_expect": (
            "For a day or two, your skin may look red and feel tight. It may also peel or flake a "
            "little for a few days, a bit like a mild sunburn. Your new skin can burn more easily "
            "in the sun."
        ),
        "patient_do": (
            "Put on a high-SPF sunscreen every day.",
            "Use a mild moisturiser if your skin feels tight or flakes.",
            "Come to each visit in your series. The bumps clear a little at a time.",
        ),
        "patient_dont": (
            "Do not go out in the sun without sunscreen.",
            _DONT_SQUEEZE,
        ),
        "patient_call_us": _CALL_IF_INFECTED + _CALL_IF_BLISTER_OR_SCAR + _CALL_IF_EYE,
    },
    {
        "code": "topical_retinoid",
        "name": "Topical retinoid",
        "patient_name": "Vitamin A cream (topical retinoid)",
        "summary": (
            "A vitamin A derivative used at night that speeds cell turnover, clearing milia slowly "
            "and preventing new ones over the long term."
        ),
        "how_it_works": (
            "Retinoids such as prescription tretinoin or over-the-counter retinol make skin cells "
            "divide and shed faster, so dead cells and keratin do not build up and become trapped. "
            "A milium that is just forming can be pushed out before it shows, and the plug of an "
            "established one is loosened and shed over time."
        ),
        "who_it_is_for": (
            "Anyone prone to milia, and above all patients whose milia keep coming back, as part "
            "of a long-term routine. It also suits those who want smoother texture and fewer "
            "signs of ageing."
        ),
        "what_to_expect": (
            "The first weeks (retinization) often bring dryness, redness and flaking; this is "
            "expected and shows the product is acting. Start with a pea-sized amount for the whole "
            "face on a few nights a week, increasing as tolerated, with a moisturiser and daily "
            "sunscreen. Over several months existing milia fade and fewer new ones appear."
        ),
        "typical_course": (
            "Ongoing use at night, building up from a few nights a week; results show over several "
            "months."
        ),
        "default_sessions": None,
        "default_interval_weeks": None,
        "patient_what_was_done": (
            "You are starting a vitamin A cream that you put on at night. It helps your skin shed "
            "old cells faster, so keratin does not get trapped. Over time, it clears the bumps you "
            "have and helps stop new ones."
        ),
        "patient_what_to_expect": (
            "In the first few weeks, your skin may feel dry, look red, and flake. This is common. "
            "If it gets bad, use the cream less often. Start with just a few nights a week. It "
            "takes a few months for the bumps to fade."
        ),
        "patient_do": (
            FACE_ONLY + "Use a pea-sized amount for your whole face.",
            BODY_ONLY + "Use a thin layer, only on the skin we showed you.",
            "Put it on at night.",
            "Start with a few nights a week. Use it more often as your skin gets used to it.",
            "Use a good moisturiser.",
            "Put on sunscreen every day.",
            "Follow the steps your doctor gives you.",
        ),
        "patient_dont": (
            "Do not use more than a pea-sized amount.",
            "Keep the cream out of your eyes. Do not put it on the edges of your eyelids.",
            "Do not use it every night at first.",
            "Do not give up too soon. It can take months to work.",
            _DONT_SQUEEZE,
        ),
        "patient_call_us": (
            "If you are pregnant, or trying to be, stop the cream and call us.",
            "Call us if your skin blisters.",
            "Call us if your skin gets more and more sore, not better.",
            "Call us right away if the cream gets in your eye and it hurts, or your sight changes.",
            "Call us if you are not sure how often to use the cream.",
        ),
    },
    {
        "code": "cryotherapy",
        "name": "Cryotherapy",
        "patient_name": "Freezing treatment (cryotherapy)",
        "summary": (
            "Targeted liquid nitrogen freezing for large or persistent milia that have resisted "
            "other treatment; never used in the eye area."
        ),
        "how_it_works": (
            "Liquid nitrogen is placed directly on the milium with a fine-tipped applicator, a "
            "cotton swab or a spray device, and the spot turns white for a few seconds. The cold "
            "kills the cells inside the cyst wall. A blister or scab then forms and comes away by "
            "itself within about a week, taking the milium with it."
        ),
        "who_it_is_for": (
            "Patients with larger, long-standing milia, such as a single lesion present for years, "
            "that have not cleared with other methods. It is a more aggressive option and must not "
            "be used around the eyes, where the delicate skin could be harmed."
        ),
        "what_to_expect": (
            "The freeze feels like a sharp, cold sting. Redness and some swelling follow, then a "
            "blister or scab forms and the milium is shed when it falls away. Patients must leave "
            "the scab alone, since picking at it can cause scarring."
        ),
        "typical_course": "Usually a single treatment; the scab comes off within about a week.",
        "default_sessions": 1,
        "default_interval_weeks": None,
        "patient_what_was_done": (
            "We froze the bump with a tiny amount of liquid nitrogen. This is a very cold liquid. "
            "The cold kills the cells inside the bump."
        ),
        "patient_what_to_expect": (
            "The freeze feels like a sharp, cold sting. Next, the spot will be red and may swell a "
            "little. A small blister or scab will form. It will fall off on its own within about a "
            "week. The bump comes away with it. The skin there may look paler than the skin "
            "around it, and a pale mark can last."
        ),
        "patient_do": (
            "Let the scab fall off on its own. This takes about a week.",
            "Leave the spot alone while it heals.",
            "Keep the spot out of the sun, or cover it, until it heals.",
            "When the scab is off, use a mild moisturiser on the new skin.",
        ),
        "patient_dont": (
            "Do not pick at the scab or the blister. Picking can leave a scar.",
            _DONT_SQUEEZE,
        ),
        "patient_call_us": _CALL_IF_INFECTED
        + _CALL_IF_BLISTER_OR_SCAR
        + ("Call us if a pale mark worries you.",),
    },
    {
        "code": "co2_laser",
        "name": "CO2 laser ablation",
        "patient_name": "Laser treatment (CO2 laser)",
        "summary": (
            "A focused CO2 laser that opens or vaporises deep, stubborn or numerous milia when "
            "other treatments have failed or are not viable."
        ),
        "how_it_works": (
            "A focused CO2 beam makes a microscopic opening over each milium so its contents "
            "lift out easily; for very deep lesions the laser vaporises the whole cyst. The heat "
            "seals small blood vessels, which limits bleeding and speeds healing, and the "
            "precision spares the skin around it. A fractional device may be used on clusters of "
            "deep lesions."
        ),
        "who_it_is_for": (
            "Deep, stubborn or numerous milia where other treatment has failed. It is an advanced "
            "procedure, kept for when the other options are not viable."
        ),
        "what_to_expect": (
            "Each pulse feels like a quick, warm snap, and local anaesthesia may be given for "
            "comfort. The treated skin is then red, rather like a mild sunburn, and small crusts "
            "form that shed in 5–7 days. The area must be kept out of the sun while it heals."
        ),
        "typical_course": "Usually one session; the crusts clear in 5–7 days.",
        "default_sessions": 1,
        "default_interval_weeks": None,
        "patient_what_was_done": (
            "We used a laser to make a tiny opening over each bump, and took out what was inside. "
            "For deep bumps, the laser can clear the whole bump away. Its heat helps stop "
            "bleeding, so you heal fast."
        ),
        "patient_what_to_expect": (
            "The skin we treated will be red. It may feel like a mild sunburn. Small crusts will "
            "form on the spots. They will drop off in 5 to 7 days."
        ),
        "patient_do": (
            "Keep the treated skin out of the sun.",
            "Let the crusts fall off on their own.",
            "When the crusts are off, use a mild moisturiser on the new skin.",
        ),
        "patient_dont": (
            "Do not pick at the crusts.",
            "Do not spend time in the sun while your skin heals.",
            _DONT_SQUEEZE,
        ),
        "patient_call_us": _CALL_IF_INFECTED + _CALL_IF_BLISTER_OR_SCAR + _CALL_IF_EYE,
    },
)

HANDOUTS = (
    {
        "slug": "why-not-at-home",
        "title": "Why milia should not be squeezed at home",
        "body": (
            "Milia are tiny white bumps. Each one is a small cyst full of keratin. Keratin is a "
            "protein your skin makes. It is trapped just under the top layer of your skin.",
            "The keratin sits in a tiny sac, not in a pore. That is why pore strips and pore "
            "products do not help. Spot creams from a shop are not made for milia. Some creams "
            "from your doctor can help over time, so ask us first.",
            "Please do not squeeze or prick milia at home, with your fingers or with a pin. It "
            "hurts, it does not work well, and it can harm your skin. You could get an infection. "
            "You could be left with a scar. You could get a dark mark that takes months to fade. "
            "You could also push the keratin deeper into your skin.",
            "At the clinic, we use clean, sterile tools. We know how to take milia out safely.",
            "What to do instead: leave the bumps alone, and book a visit with us. We will check "
            "your skin and tell you which treatment is best for you.",
        ),
    },
)
