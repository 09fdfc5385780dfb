"""Made-up people for the demo instance. Pure data: every entry must pass vault.sections.validate_entry.

Nobody here is real. Phone numbers are from Ofcom's drama range (07700 900xxx), email addresses use
example.org, and NHS numbers are from the NHS test range (999...) with a valid check digit. The
passphrases are public on purpose: they only ever open the demo instance.
"""

from typing import Any

# Rosie: 22, learning disability and epilepsy, lives with Helen in a Shared Lives arrangement.
_ROSIE: dict[str, Any] = {
    "login": "rosie",
    "email": "rosie.adebayo@example.org",
    "passphrase": "harbour pencil violet sprinkle",
    "preferred_name": "Rosie",
    "entries": [
        {
            "section": "identity",
            "data": {
                "text": "Please say my name 'ROH-zee'. I like people to use my name, not 'love' or "
                "'sweetheart'.",
                "legal_name": "Rosie Grace Adebayo",
                "preferred_name": "Rosie",
                "date_of_birth": "2004-05-14",
                "nhs_number": "9994127381",
                "pronouns": "she/her",
                "languages": ["English", "Makaton (some signs)"],
                "interpreter_needed": False,
                "gp_practice": "Fernlea Surgery, Ashby Vale",
            },
        },
        {
            "section": "about_me",
            "data": {
                "text": "I am Rosie. I am 22. I live with Helen and her dog Biscuit. I love music and "
                "I love making people laugh.",
                "most_important": "I have epilepsy. My seizure plan is in my red bag.\n"
                "I need soft food cut small, because I can choke.\n"
                "Give me time to answer. I understand more than I can say.",
                "appreciated": "People say I am funny and kind. I always notice when someone is sad and "
                "I bring them a cup of tea.",
                "what_matters": "Seeing Mum on Sundays. My music. Going to my drama group. Being asked, "
                "not told.",
                "good_day": "A lie-in, a bacon sandwich (soft roll), drama group, then singing in the car "
                "with Helen on the way home.",
                "bad_day": "When plans change and nobody tells me. When it is very loud. When I have had "
                "a seizure and feel tired and sore.",
                "life_history": "I grew up in Ashby Vale with Mum and my brother Marcus. I went to "
                "Brookside School and then to college for two years. I moved in with Helen in 2022, "
                "when Mum was not well enough to look after me on her own.",
                "family": "Mum (Grace), my brother Marcus who lives in Leeds, and Helen's family, who "
                "are like family to me now. Biscuit the dog is my best friend.",
                "faith_and_culture": "Mum's family is from Nigeria. I like jollof rice, made soft. "
                "I go to church with Mum at Christmas and Easter.",
                "routines": "Music on when I wake up. A bath, not a shower, in the evening. Lights off at "
                "ten with my night light on.",
                "interests": "Singing, drama group on Wednesdays, dancing in the kitchen, baking with "
                "Helen, watching musicals.",
                "hopes": "I want to be in a real show on a real stage. I would like a job in a cafe.",
                "worries": "Hospitals. Needles. That Mum will get ill again.",
            },
            "tiers": {"family": "S"},
        },
        {
            "section": "communication",
            "data": {
                "text": "I talk in short sentences. I use some Makaton signs too, especially when I am "
                "tired or upset.",
                "how_i_communicate": "Speech, a few words at a time. Makaton signs for 'more', 'finish', "
                "'toilet', 'drink', 'hurt' and 'home'. I point at pictures when words are hard.",
                "how_to_talk_with_me": "Use short sentences and one question at a time. Wait for me to "
                "answer: count to ten in your head. Show me things if you can.",
                "check_understanding": "Ask me to tell you back in my own words, or to show you. If I "
                "just say 'yes' to everything, I have probably not understood.",
                "making_choices": "Give me two choices, not more. Show me the real things or pictures. "
                "I say no by shaking my head and signing 'finish'.",
                "shows_pain": "I go very quiet. I rub the place that hurts or tap my chest. I may rock "
                "and stop eating. I sign 'hurt'. I may not say it hurts even when it does.",
                "shows_distress": "I put my hands over my ears, hum loudly and may try to walk away.",
                "shows_illness": "I sleep much more than usual and do not want to sing.",
                "shows_hunger": "I sign 'drink' or go to the kitchen and stand by the fridge.",
                "shows_tiredness": "I rub my eyes and get grumpy. Tiredness can bring on a seizure.",
                "when_well": "Chatty, singing, making jokes, eating well. If I am quiet and not singing, "
                "something is wrong.",
            },
        },
        {
            "section": "adjustments",
            "data": {
                "text": "Please ring Helen before my appointment so she can tell me what will happen.",
                "longer_appointment": True,
                "quiet_space": True,
                "first_appointment": True,
                "someone_stays": True,
                "information_format": "Easy read with pictures",
                "blood_tests": "Numbing cream 45 minutes before. Let me hold Helen's hand. Tell me what "
                "you are going to do, then count to three. Never hold my arm down.",
                "other_adjustments": ["Show me the room before I go in", "Speak to me first, then Helen"],
                "why_i_need_them": "I have a learning disability and I get very anxious in new places.",
            },
        },
        {
            "section": "upsets",
            "data": {
                "text": "Loud noises and being rushed upset me. Quiet and time help me.",
                "triggers": ["Loud sudden noises", "Being rushed", "People talking over me",
                             "Plans changing without warning"],
                "sensory": "I do not like bright strip lights or scratchy labels. Ear defenders help "
                "in busy places.",
                "what_helps": "A quiet space, my music on headphones, and someone I know sitting with me "
                "without talking.",
                "never_do": ["Never hold my arms", "Do not shout", "Do not stand in the doorway"],
                "detail": "At my old day centre I was held by my arms when I got upset, and it still "
                "frightens me. That is why I may pull away if you reach for me quickly.",
            },
        },
        {
            "section": "daily_living",
            "data": {
                "choking_risk": True,
                "food_texture": "Soft and bite-sized (IDDSI level 6). Normal thin drinks.",
                "eating_risks": "I eat too fast and can choke. Sit with me, remind me to slow down and "
                "take small mouthfuls. If I choke: back blows, then call 999.",
                "eating_drinking": "I like to feed myself with a spoon. I drink from a cup with a lid.",
                "personal_care": "I can wash myself with prompts. I need help with my hair.",
                "sleep": "Bed at ten. Night light on. I have a bed alarm that tells Helen if I have a "
                "seizure in the night.",
                "moving": "I walk well. I am wobbly for an hour after a seizure.",
                "moving_risks": "I can fall when I have a seizure. I wear a soft helmet on bad days.",
            },
        },
        {
            "section": "conditions",
            "data": {
                "text": "I have had seizures since I was little. Most are short. Sometimes I have a "
                "big one where I fall and shake.",
                "name": "Epilepsy",
                "status": "current",
                "since": "Since I was 9",
                "how_it_affects_me": "I cannot have a bath on my own or go swimming without someone. I "
                "am very tired the day after a big seizure.",
                "emergency_plan": "Stay calm and time the seizure. Move hard things away and cushion my "
                "head. Do not put anything in my mouth. If the shaking lasts 5 minutes, give my buccal "
                "midazolam and call 999. After it stops, put me on my side and stay with me. I will "
                "be sleepy and confused for up to an hour.",
                "rescue_medicine": "Buccal midazolam 10 mg, into the side of my cheek",
                "rescue_medicine_kept": "In my red bag, which goes everywhere with me",
                "who_looks_after_it": "Epilepsy nurse team at Ashby Vale General Hospital",
            },
        },
        {
            "section": "conditions",
            "data": {
                "name": "Learning disability",
                "status": "current",
                "since": "Since I was born",
                "how_it_affects_me": "I need things explained simply and I need more time. I can do a "
                "lot when people give me the chance.",
            },
        },
        {
            "section": "allergies",
            "data": {
                "status": "known",
                "substance": "Penicillin",
                "reaction": "Itchy red rash all over my body",
                "severity": "moderate",
                "confirmed_by": "My GP, after I had amoxicillin in 2015",
                "first_noticed": "2015",
            },
        },
        {
            "section": "medicines",
            "data": {
                "name": "Lamotrigine",
                "dose": "100 mg",
                "when": "Morning and evening",
                "how_taken": "Tablet by mouth",
                "how_i_like_to_take_it": "One tablet at a time, on a spoon of yoghurt, with a drink of "
                "squash after.",
                "who_supports_me": "Helen gives it to me and ticks the chart.",
                "reason": "To stop my seizures.",
                "prescriber": "Dr Mensah, neurology clinic, Ashby Vale General Hospital",
                "start_date": "2013-09-02",
                "last_change": "2024-02-12",
                "next_review": "2027-02-15",
                "monitoring": "Check for rashes, especially when the dose changes.",
            },
        },
        {
            "section": "medicines",
            "data": {
                "text": "Only if my seizure goes on for 5 minutes. It is in my red bag.",
                "name": "Buccal midazolam",
                "dose": "10 mg",
                "when": "Only when needed, see below",
                "how_taken": "Into the side of the cheek, between the gum and the cheek",
                "reason": "Rescue medicine for long seizures.",
                "prescriber": "Dr Mensah, neurology clinic",
                "start_date": "2016-06-20",
                "next_review": "2027-02-15",
                "prn": True,
                "prn_when": "A seizure with shaking that lasts 5 minutes, or three seizures in one hour.",
                "prn_signs": "I fall and go stiff, then my arms and legs jerk. My lips can go blue. I "
                "cannot answer you. Before a seizure I sometimes stare and smack my lips.",
                "prn_try_first": "Keep me safe, time the seizure, cushion my head. Most of my seizures "
                "stop by themselves within 2 minutes.",
                "prn_dose": "10 mg: one pre-filled syringe",
                "prn_max_24h": "1 dose. A second dose only if a paramedic or doctor says so.",
                "prn_min_gap": "Do not repeat without medical advice",
                "reviews": [
                    {
                        "date": "2025-02-10",
                        "who_took_part": "Me, Helen, epilepsy nurse",
                        "my_views": "I do not like it but I know it helps.",
                        "outcome": "Keep the same. Helen and my day service staff had training again.",
                        "next_date": "2027-02-15",
                    },
                ],
            },
        },
        {
            "section": "medicines",
            "data": {
                "name": "Risperidone",
                "dose": "0.5 mg",
                "when": "At night",
                "how_taken": "Liquid by mouth",
                "how_i_like_to_take_it": "In a medicine cup, then a drink of squash.",
                "who_supports_me": "Helen",
                "reason": "Started at school when I was hitting out and very upset.",
                "prescriber": "Community learning disability team psychiatrist",
                "start_date": "2019-03-11",
                "next_review": "2025-08-31",
                "psychotropic": True,
                "target_symptom": "Hitting out and screaming when I was upset.",
                "before_starting": "I was being moved between schools and nobody explained it to me. I "
                "was upset most days.",
                "side_effects": "I have put on weight and I am sleepy in the mornings.",
                "monitoring": "Blood test and weight every 6 months.",
                "reviews": [
                    {
                        "date": "2024-08-29",
                        "who_took_part": "Me, Mum, Helen, Dr Osei",
                        "my_views": "I do not hit out now. I want to stop feeling sleepy.",
                        "outcome": "Keep the same for now and talk about reducing at the next review.",
                        "next_date": "2025-08-31",
                    },
                ],
            },
        },
        {
            "section": "health_plan",
            "data": {
                "need": "I want to get fitter and lose some of the weight I put on.",
                "action": "Dance class at the leisure centre on Saturdays. Swap fizzy drinks for squash.",
                "who_helps": "Helen, and the practice nurse",
                "review_date": "2027-01-20",
                "health_check_date": "2026-01-19",
                "health_check_outcome": "Weight up a bit. Blood pressure fine. Ear wax in the right "
                "ear, treated. Asked for the risperidone review to be booked.",
            },
        },
        {
            "section": "support_plan",
            "data": {
                "outcomes": "To go to drama group every week, learn to make my own lunch, and try "
                "volunteering in a cafe.",
                "how_met": "I live with Helen through Shared Lives. A support worker, Priya, takes me to "
                "drama and to the cafe on Wednesdays and Fridays.",
                "who_supports": "Helen (Shared Lives carer) and Priya from Kindly Support",
                "risks": "Seizures when I am out. Priya has seizure training and carries my red bag.",
                "contingency": "If Helen is ill, I go to my respite Shared Lives carer, June. Mum knows "
                "the plan.",
                "budget_type": "direct_payment",
                "budget_amount": "£312 a week",
                "money_manager": "Mum, with help from the council's direct payments team",
                "review_date": "2027-05-01",
            },
        },
        {
            "section": "future_plans",
            "data": {
                "text": "Made with my epilepsy nurse, Helen and Mum. I understood it and I agreed.",
                "kind": "crisis_plan",
                "name": "My seizure and hospital plan",
                "status": "current",
                "original_location": "The original is in the blue folder on Helen's kitchen shelf. A "
                "copy is in my red bag.",
                "what_it_says": "What my seizures look like, when to give midazolam and call 999, which "
                "hospital knows me, and that Helen or Mum should stay with me in hospital.",
                "signed_by": "Epilepsy nurse, Ashby Vale General Hospital",
                "signed_date": "2025-02-10",
                "review_date": "2027-02-10",
            },
        },
        {
            "section": "people",
            "data": {
                "name": "Helen Pritchard",
                "relationship": "My Shared Lives carer. I live with her.",
                "role_i_want": "To help me with my health, come to appointments with me and stay with "
                "me in hospital.",
                "phone": "07700 900461",
                "email": "helen.pritchard@example.org",
                "emergency_contact": True,
                "when_to_contact": "Any time, day or night",
                "circle_of_support": True,
                "talk_about": [
                    {"about": "My medicines and appointments", "section": "medicines"},
                    {"about": "My epilepsy", "section": "conditions"},
                ],
            },
        },
        {
            "section": "people",
            "data": {
                "name": "Grace Adebayo",
                "relationship": "My mum",
                "role_i_want": "To be told if I go into hospital, and to help with big decisions.",
                "phone": "07700 900218",
                "emergency_contact": True,
                "when_to_contact": "If Helen cannot be reached, or if I go into hospital",
                "circle_of_support": True,
                "do_not_talk_about": [
                    {"about": "What happened at my old day centre. It upsets Mum a lot.",
                     "section": "sensitive_history"},
                ],
            },
        },
        {
            "section": "legal",
            "data": {
                "text": "Nobody has a power of attorney for me. I make my own decisions with support. "
                "Mum is my appointee for my benefits.",
                "kind": "appointee",
                "name": "Grace Adebayo (Mum)",
                "contact": "07700 900218",
                "what_they_decide": "Mum manages my benefits with the Department for Work and Pensions. "
                "She cannot make health decisions for me.",
            },
        },
        {
            "section": "good_life",
            "data": {
                "date": "2026-10-31",
                "enjoyed": "The Halloween disco at drama group. I was a witch.",
                "friends_seen": ["Tasha", "Josh", "Abi"],
                "friends_seen_count": 3,
                "places": ["Drama group", "The Corner Cafe", "Leisure centre"],
                "work_volunteering": "Two mornings at the cafe, clearing tables and saying hello.",
                "working": "Drama and the cafe. Helen's new routine chart.",
                "not_working": "I am still sleepy in the mornings and I miss the bus to drama.",
            },
        },
        {
            "section": "journal",
            "data": {
                "title": "Things to ask at my next review",
                "date": "2026-11-02",
                "text": "Can I stop the night medicine? Why am I so sleepy? Can Mum come too?",
            },
        },
        {
            "section": "sensitive_history",
            "data": {
                "topic": "safeguarding",
                "when": "2021",
                "text": "At my old day centre, staff held me by my arms when I was upset. It was "
                "reported and the council looked into it. I do not go there any more.",
                "what_helps": "Please do not reach for me quickly. Tell me what you are going to do.",
            },
        },
    ],
}

# Helen: 56, Rosie's Shared Lives carer, keeping her own record.
_HELEN: dict[str, Any] = {
    "login": "helen",
    "email": "helen.pritchard@example.org",
    "passphrase": "copper meadow ticket wander",
    "preferred_name": "Helen",
    "entries": [
        {
            "section": "identity",
            "data": {
                "legal_name": "Helen Margaret Pritchard",
                "preferred_name": "Helen",
                "date_of_birth": "1970-09-03",
                "nhs_number": "9992175044",
                "pronouns": "she/her",
                "languages": ["English"],
                "gp_practice": "Fernlea Surgery, Ashby Vale",
            },
        },
        {
            "section": "about_me",
            "data": {
                "most_important": "I am a Shared Lives carer: Rosie lives with me. If I am taken ill, "
                "someone must call Rosie's mum, Grace, on 07700 900218.",
                "what_matters": "Rosie, my husband Tom, our dog Biscuit, and my allotment.",
                "interests": "Growing vegetables, baking, walking Biscuit.",
                "worries": "What happens to Rosie if I get ill.",
            },
        },
        {
            "section": "conditions",
            "data": {
                "text": "Found at a routine check. I manage it with tablets and watching what I eat.",
                "name": "Type 2 diabetes",
                "status": "current",
                "since": "2019",
                "how_it_affects_me": "Not much day to day. I get tired if I skip meals.",
                "who_looks_after_it": "Practice nurse at Fernlea Surgery",
            },
        },
        {
            "section": "medicines",
            "data": {
                "name": "Metformin",
                "dose": "500 mg",
                "when": "With breakfast and with my evening meal",
                "how_taken": "Tablet by mouth",
                "reason": "Type 2 diabetes",
                "prescriber": "Fernlea Surgery",
                "start_date": "2019-06-10",
                "next_review": "2027-06-01",
                "monitoring": "Blood test (HbA1c) and kidney check once a year.",
            },
        },
        {
            "section": "allergies",
            "data": {"status": "none_known", "text": "No allergies that I or my GP know of."},
        },
        {
            "section": "people",
            "data": {
                "name": "Tom Pritchard",
                "relationship": "My husband",
                "phone": "07700 900735",
                "emergency_contact": True,
                "when_to_contact": "Any time",
            },
        },
        {
            "section": "people",
            "data": {
                "name": "June Farrow",
                "relationship": "Respite Shared Lives carer for Rosie",
                "role_i_want": "To look after Rosie if I am taken ill.",
                "phone": "07700 900587",
                "when_to_contact": "If I am taken ill or go into hospital",
            },
        },
    ],
}

# Dennis: 81, Alzheimer's disease, a retired railway signalman. His daughter holds his health and
# welfare power of attorney.
_DENNIS: dict[str, Any] = {
    "login": "dennis",
    "email": "dennis.hargreaves@example.org",
    "passphrase": "saddle lemon glacier humble",
    "preferred_name": "Dennis",
    "entries": [
        {
            "section": "identity",
            "data": {
                "text": "Julie, my daughter, helps me keep this record.",
                "legal_name": "Dennis Arthur Hargreaves",
                "preferred_name": "Dennis",
                "date_of_birth": "1945-03-22",
                "nhs_number": "9997632184",
                "pronouns": "he/him",
                "languages": ["English"],
                "interpreter_needed": False,
                "gp_practice": "Station Road Medical Centre, Kirkby Dale",
            },
        },
        {
            "section": "about_me",
            "data": {
                "text": "I am Dennis. I worked on the railways all my life. I like a chat and a cup of "
                "tea, strong with two sugars.",
                "most_important": "I have Alzheimer's. I may not remember you, but be patient and I will "
                "warm to you.\nI am deaf in my right ear: speak to my left side.\n"
                "In the late afternoon I can get muddled and want to go 'home' to my mother's house.",
                "appreciated": "My dry sense of humour. I always say thank you. I am good with my hands.",
                "what_matters": "Julie and the grandchildren. My garden. A proper cup of tea. Being "
                "called Dennis, not 'pops' or 'grandad' by strangers.",
                "good_day": "Porridge, the racing on the radio, a walk to the park to watch the trains "
                "go over the viaduct, Julie coming round for tea.",
                "bad_day": "When I cannot find things and think someone has moved them. When there are "
                "lots of new faces.",
                "life_history": "I was born in Kirkby Dale in 1945. I left school at 15 and joined the "
                "railway as a lad porter, then became a signalman at Kirkby Junction box for 31 years. "
                "I married Maureen in 1968; she died in 2019. We had Julie and Paul. Paul died in a "
                "car accident in 1996 and I still find it hard to talk about.",
                "family": "Julie (daughter) lives ten minutes away. Three grandchildren: Lewis, Amy "
                "and Sophie.",
                "routines": "Up at six, as I always was for my shift. Porridge. The paper, even if I do "
                "not read much of it now. Bed by nine.",
                "interests": "Trains, gardening, brass band music, the racing.",
                "worries": "Being put in a home. Being a burden on Julie.",
            },
        },
        {
            "section": "communication",
            "data": {
                "how_i_communicate": "I talk well, but I lose my words and repeat myself. I tell old "
                "stories about the railway; they help me settle.",
                "how_to_talk_with_me": "Come from the front, on my left side. Say who you are each time. "
                "One thing at a time. Do not argue about the year or where I am.",
                "check_understanding": "Ask me to tell you what we agreed. Write it down for me on the "
                "notepad by my chair.",
                "hearing_and_sight": "Hearing aid in my LEFT ear; my right ear does not work. Glasses for "
                "reading. Check the hearing aid battery if I seem not to hear.",
                "shows_pain": "I will say 'I'm fine' even when I am not. Watch for me holding my side, "
                "grimacing when I stand, going off my food, or getting more muddled and cross.",
                "shows_distress": "I pace and try the doors, and ask for my mother.",
                "shows_illness": "I get much more confused quite suddenly. This can mean a water "
                "infection.",
                "when_well": "Chatty, makes jokes, knows Julie and the grandchildren, can make a cup of "
                "tea with prompting.",
            },
        },
        {
            "section": "adjustments",
            "data": {
                "longer_appointment": True,
                "quiet_space": True,
                "someone_stays": True,
                "information_format": "Large print, and written down for Julie too",
                "other_adjustments": ["Speak on my left side", "Morning appointments: I am clearer then"],
                "why_i_need_them": "Alzheimer's disease and deafness in my right ear.",
            },
        },
        {
            "section": "upsets",
            "data": {
                "text": "Late afternoon I often get confused and want to go home. Do not argue; "
                "distract me with tea and a chat about the railway.",
                "triggers": ["Late afternoon and dusk", "Being told I am wrong", "Crowds and noise",
                             "Being rushed when washing"],
                "what_helps": "A cup of tea, brass band music, talking about the railway or my garden. "
                "Closing the curtains and putting the lights on before it gets dark.",
                "never_do": ["Do not tell me Maureen has died as if it is news", "Do not rush me"],
                "detail": "If I ask for Maureen, say she is not here just now and talk about her with "
                "me. Being told again that she has died is like hearing it for the first time.",
            },
        },
        {
            "section": "daily_living",
            "data": {
                "eating_drinking": "Good appetite. I forget to drink: offer tea or squash every hour.",
                "personal_care": "I need prompting to wash and change. I prefer a wash at the sink to "
                "a shower.",
                "continence": "I sometimes do not get to the toilet in time at night. Pads at night.",
                "sleep": "I wake in the night and may get dressed for work. Gently remind me it is "
                "night-time.",
                "moving": "I walk with a stick outdoors.",
                "moving_risks": "I have fallen twice this year, both at night. Keep a light on in the "
                "hallway.",
                "equipment": ["Walking stick", "Hearing aid (left ear)", "Pendant alarm"],
            },
        },
        {
            "section": "conditions",
            "data": {
                "name": "Alzheimer's disease",
                "status": "current",
                "since": "Diagnosed in 2022",
                "how_it_affects_me": "I forget recent things and lose track of time. I need help with "
                "meals, medicines and appointments.",
                "who_looks_after_it": "Memory clinic, Kirkby Dale Hospital",
            },
        },
        {
            "section": "conditions",
            "data": {
                "name": "High blood pressure",
                "status": "current",
                "since": "About 2010",
                "how_it_affects_me": "No problems day to day.",
                "who_looks_after_it": "Station Road Medical Centre",
            },
        },
        {
            "section": "allergies",
            "data": {
                "status": "known",
                "substance": "Codeine",
                "reaction": "Very confused and sick for two days",
                "severity": "moderate",
                "confirmed_by": "Noted by the hospital after my hip operation in 2017",
                "first_noticed": "2017",
            },
        },
        {
            "section": "medicines",
            "data": {
                "name": "Donepezil",
                "dose": "10 mg",
                "when": "At night",
                "how_taken": "Tablet by mouth",
                "how_i_like_to_take_it": "With my cocoa at bedtime.",
                "who_supports_me": "Julie fills my dosette box; the carers give it.",
                "reason": "Alzheimer's disease, to help with memory.",
                "prescriber": "Memory clinic, Kirkby Dale Hospital",
                "start_date": "2022-05-16",
                "next_review": "2027-05-10",
                "psychotropic": True,
                "target_symptom": "Memory and thinking.",
                "before_starting": "I was forgetting conversations within minutes and getting lost on "
                "the way to the shop.",
                "side_effects": "Vivid dreams at first; these settled.",
            },
        },
        {
            "section": "medicines",
            "data": {
                "name": "Amlodipine",
                "dose": "5 mg",
                "when": "In the morning",
                "how_taken": "Tablet by mouth",
                "how_i_like_to_take_it": "With my porridge.",
                "who_supports_me": "The morning carer",
                "reason": "High blood pressure",
                "prescriber": "Station Road Medical Centre",
                "start_date": "2010-11-01",
                "next_review": "2027-03-01",
                "monitoring": "Blood pressure check at the surgery every year.",
            },
        },
        {
            "section": "medicines",
            "data": {
                "name": "Paracetamol",
                "dose": "1 g (two 500 mg tablets)",
                "when": "Only when needed",
                "how_taken": "Tablet by mouth",
                "reason": "Pain in my knees and my hip.",
                "prescriber": "Station Road Medical Centre",
                "prn": True,
                "prn_when": "When I say my knees or hip hurt, or show signs of pain.",
                "prn_signs": "Rubbing my knees, grimacing when I stand, walking more slowly than usual, "
                "getting cross or more muddled than usual.",
                "prn_try_first": "A change of position, a warm wheat bag on my knees, a short walk.",
                "prn_dose": "1 g (two 500 mg tablets)",
                "prn_max_24h": "4 doses (8 tablets)",
                "prn_min_gap": "4 hours",
            },
        },
        {
            "section": "future_plans",
            "data": {
                "kind": "respect",
                "name": "ReSPECT form",
                "status": "current",
                "original_location": "In the kitchen drawer to the left of the cooker. A copy is "
                "attached here.",
                "what_it_says": "Made with my GP and Julie. The form records what matters to me and "
                "the doctor's recommendations. Please read the original.",
                "signed_by": "Dr Patel, Station Road Medical Centre",
                "signed_date": "2025-10-14",
                "review_date": "2027-10-14",
            },
        },
        {
            "section": "future_plans",
            "data": {
                "text": "I wrote this with Julie in 2022, soon after I was diagnosed, while I could say "
                "it clearly myself.",
                "kind": "advance_statement",
                "status": "current",
                "original_location": "Julie has the original. A copy is in the kitchen drawer with my "
                "ReSPECT form.",
                "what_it_says": "I want to stay in my own home as long as it is safe. I would like brass "
                "band music and the window open. I want Julie to be asked about decisions.",
                "signed_date": "2022-07-04",
            },
        },
        {
            "section": "people",
            "data": {
                "name": "Julie Walsh",
                "relationship": "My daughter",
                "role_i_want": "To help me with decisions and to be there for me. She holds my power of "
                "attorney for health and welfare.",
                "phone": "07700 900392",
                "email": "julie.walsh@example.org",
                "emergency_contact": True,
                "when_to_contact": "Any time",
                "circle_of_support": True,
            },
        },
        {
            "section": "legal",
            "data": {
                "kind": "health_and_welfare_attorney",
                "name": "Julie Walsh (my daughter)",
                "contact": "07700 900392",
                "registered": True,
                "life_sustaining": True,
                "reference": "DEMO-7000-0000",
                "made_date": "2022-06-20",
                "original_location": "Julie keeps the original.",
            },
        },
    ],
}

DEMO_ACCOUNTS: list[dict[str, Any]] = [_ROSIE, _HELEN, _DENNIS]
