"""Word banks for the Northwind Mobile demo: names and the pieces survey comments are built from.

Used only by ``generate.py``. Every comment is composed from an optional opener, one core
sentence for a theme and polarity, an optional detail sentence of the same theme, and an
optional closer. Slots in braces are filled when the bank is expanded (``{amount}``,
``{n}``, ``{mins}``, ``{month}``, ``{town}``, ``{staff}``, ``{country}``, ``{days}``).

The openers, closers and the "roaming" sentences deliberately contain none of the words
the demo codeframe looks for, so roaming comments stay uncoded (a theme for the consultant
to discover) and generic phrases never create a false theme.
"""

FIRST_NAMES = (
    "Olivia Amelia Isla Ava Mia Ivy Lily Isabella Sophia Grace Freya Emily Chloe Ella Poppy "
    "Evie Ruby Aisha Zara Fatima Priya Anika Mei Chen Sofia Lucia Elena Maria Hannah Leah "
    "Noah Oliver George Arthur Leo Harry Oscar Archie Henry Jack Charlie Freddie Thomas James "
    "William Alfie Mohammed Yusuf Omar Ibrahim Arjun Rohan Kwame Kofi Tunde Daniel Samuel "
    "Lukas Mateo Diego Luca Piotr Tomasz Sean Callum Rhys Owen Dylan Ethan Jacob Adam Ryan"
).split()

LAST_NAMES = (
    "Smith Jones Taylor Brown Williams Wilson Johnson Davies Patel Robinson Wright Thompson "
    "Evans Walker White Roberts Green Hall Wood Jackson Clarke Khan Ahmed Hussain Singh Shah "
    "Begum Ali Lewis Harris Martin Cooper Hill Ward Morris Moore Clark Lee King Baker "
    "Harrison Morgan Allen James Scott Phillips Watson Davis Parker Price Bennett Young "
    "Griffiths Mitchell Kelly Cook Carter Richardson Bailey Collins Bell Shaw Murphy Miller "
    "Cox Richards Khalil Nowak Kowalski Okafor Mensah Osei Nguyen Chen Rossi Garcia Silva"
).split()

TOWNS = (
    "Leeds",
    "Bristol",
    "Norwich",
    "Exeter",
    "Derby",
    "York",
    "Swindon",
    "Reading",
    "Hull",
    "Preston",
    "Cardiff",
    "Carlisle",
)
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September")
COUNTRIES = (
    "Spain",
    "France",
    "Portugal",
    "Italy",
    "Greece",
    "Turkey",
    "the US",
    "Switzerland",
    "Morocco",
    "Croatia",
    "Canada",
    "Dubai",
)
AMOUNTS = ("£12", "£18.50", "£23", "£31", "£40", "£47.20", "£55", "£64", "£80", "£112")
COUNTS = ("two", "three", "four", "five", "six")
DAYS = ("two", "three", "four", "five", "ten")
MINUTES = ("20", "35", "40", "45", "50", "90")
STAFF = ("Priya", "Tom", "Grace", "Mohammed", "Ellie", "Sam", "Joe", "Aisha", "Dan", "Kasia")

OPENERS = (
    "Long-time customer here.",
    "Where do I start.",
    "Honestly?",
    "Quick feedback.",
    "Honest feedback:",
    "I'll keep it short.",
    "Been with Northwind for years.",
    "First time filling one of these in.",
    "As requested:",
    "Since you asked.",
)
NEG_CLOSERS = (
    "Really disappointed.",
    "Not good enough.",
    "Please sort this out.",
    "Fed up with it.",
    "Very frustrating.",
    "Do better.",
    "I expected more from Northwind.",
    "Seriously thinking about leaving.",
)
POS_CLOSERS = (
    "Thanks!",
    "Keep it up.",
    "Very happy overall.",
    "Great job, Northwind.",
    "Would recommend.",
    "Cheers.",
    "No complaints from me.",
)

# theme key -> (negative core, negative detail, positive core, positive detail)
THEMES: dict[str, tuple[tuple[str, ...], ...]] = {
    "billing": (
        (
            "I was overcharged again this month and nobody can tell me why.",
            "Bill shock every single month, {amount} more than I signed up for.",
            "The invoice is so confusing I can't work out what the extra charges are.",
            "My bill went up by {amount} in {month} without any warning.",
            "I got charged twice for the same month.",
            "Why is my bill different every month when I'm on a fixed price?",
            "The bill is impossible to read, pages of codes and no explanation.",
            "I've been overcharged {n} times this year.",
            "Charged {amount} for extras I never asked for.",
            "The direct debit came out twice in {month}.",
            "Still waiting on a refund of {amount} for a billing mistake.",
            "Your invoices make no sense, I need a spreadsheet to check my bill.",
            "Unexpected charges on my bill again, this is the third month running.",
            "Bill shock after one weekend, nobody explained the charges.",
        ),
        (
            "I've called {n} times about it.",
            "Nobody could explain the charges on the phone either.",
            "The breakdown on the bill doesn't add up.",
            "It took {days} weeks to get the refund.",
            "I only noticed because I check every bill now.",
            "The bill should say in plain English what I'm paying for.",
        ),
        (
            "My bill is always clear and exactly what I expected.",
            "Billing is simple, no surprises.",
            "The new bill layout is much easier to understand.",
            "Got a quick refund when I was charged by mistake.",
        ),
        ("The direct debit date change was easy too.", "Nice to see a bill that adds up."),
    ),
    "network": (
        (
            "Signal at my house in {town} is non-existent.",
            "Dropped calls every day on my commute.",
            "Coverage in {town} is terrible since {month}.",
            "Mobile data crawls in the evenings, pages won't load.",
            "The network goes down every few weeks and I get no service for hours.",
            "I have to stand by the window to get any reception.",
            "4G keeps dropping to nothing in the city centre.",
            "Your coverage map says full signal, reality says otherwise.",
            "5G is advertised everywhere but I never see it in {town}.",
            "Calls keep cutting out, it's embarrassing with clients.",
            "Signal is awful at work, one bar at best.",
        ),
        (
            "My neighbours on other networks have no problem.",
            "It has been like this for {days} weeks now.",
            "The fault has been reported {n} times.",
            "Wi-Fi calling is the only thing that works.",
        ),
        (
            "Signal is great everywhere I go.",
            "Network has been rock solid, never a dropped call.",
            "Coverage in {town} is excellent.",
            "Mobile data is fast even on the train.",
            "5G speeds in {town} are brilliant.",
        ),
        ("Even in the countryside I get reception.", "Streaming works fine on the network."),
    ),
    "service": (
        (
            "The live chat is useless, the chatbot just goes round in circles.",
            "I was on hold for {mins} minutes before giving up.",
            "The chat agent disconnected me twice before fixing anything.",
            "Customer service kept passing me from one department to another.",
            "Nobody in customer service takes ownership of the problem.",
            "The advisor promised a call back that never came.",
            "I had to explain my problem {n} times to different agents.",
            "Support chat closed the conversation while I was typing.",
            "The chat kept telling me to read the FAQ.",
            "Customer care was rude and unhelpful.",
            "Waited {days} days for an answer on chat.",
            "The support team could not fix my issue and did not seem to care.",
        ),
        (
            "In the end I had to call instead.",
            "The issue is still not resolved.",
            "Every time a different agent, every time the same script.",
            "I just want to speak to a human.",
        ),
        (
            "{staff} in customer service was brilliant and sorted everything in one call.",
            "The agent was friendly and fixed my problem quickly.",
            "Customer service has been excellent every time I've called.",
            "Really helpful advisor, explained everything clearly.",
            "Support sorted my issue the same day.",
            "The phone team went above and beyond.",
            "Quick answer on live chat, problem solved.",
        ),
        ("Thank {staff} for me.", "Couldn't have asked for better support."),
    ),
    "app": (
        (
            "The app keeps crashing when I try to check my usage.",
            "I can't log in to the app since the last update.",
            "The app is slow and half the features don't work.",
            "My online account shows the wrong balance.",
            "The website logs me out every few minutes.",
            "Can't change anything in the app, it always says try again later.",
            "Login with my password fails every other time.",
            "The app crashed {n} times while I was trying to pay.",
        ),
        (
            "I ended up doing it on the website instead.",
            "Please fix the app.",
            "Reinstalling the app did not help.",
        ),
        (
            "The app is brilliant, I can do everything in a couple of taps.",
            "Love the app, usage tracking is really clear.",
            "The app makes managing my account easy.",
            "Self-service in the app works really well.",
            "The website and app are easy to use.",
        ),
        ("Never need to call anyone thanks to the app.",),
    ),
    "price": (
        (
            "Far too expensive for what you get.",
            "The price went up again in {month}, it's not good value for money.",
            "Competitors offer the same for half the price.",
            "You are overpriced compared to everyone else.",
            "Annual price rises every year, loyal customers get punished.",
            "New customers get better deals than people who have been here for years.",
            "It costs me {amount} a month, too much for what I use.",
        ),
        ("I can get a cheaper deal elsewhere.", "The price rise was hidden in the small print."),
        (
            "Good value for money compared to the others.",
            "Fair price for what I get.",
            "Affordable and reliable.",
            "Great deal, cheaper than my last provider.",
        ),
        ("Worth every penny.",),
    ),
    "onboarding": (
        (
            "Activation took {days} days, I was without a phone all that time.",
            "Setting up my new SIM was a nightmare.",
            "Porting my number failed twice.",
            "Nobody told me how to activate the SIM card.",
            "The welcome pack was confusing and the setup instructions were wrong.",
            "The number transfer took over a week.",
            "My SIM arrived but would not activate.",
        ),
        ("I had to go to a store to get it working.", "It took {n} calls to get set up."),
        (
            "Set up was quick and easy, the SIM worked straight away.",
            "Activation took minutes.",
            "The welcome call was really helpful.",
            "Porting my number was painless.",
            "Getting started with the new SIM was simple.",
        ),
        ("The welcome email explained everything.",),
    ),
    "contract": (
        (
            "Trying to cancel my contract is a nightmare.",
            "The early termination fee is outrageous.",
            "I was never told my contract would roll over at a higher rate.",
            "At renewal you offered me nothing, so I'm leaving.",
            "The upgrade offer was worse than what new customers get.",
            "The notice period is far too long.",
        ),
        ("I will not renew.", "The retention team only offered me a discount after I cancelled."),
        (
            "The renewal was straightforward and I got a good upgrade offer.",
            "Upgrading my phone was easy.",
            "Happy with the contract terms, no surprises.",
            "Renewed without any hassle.",
        ),
        ("Will renew again.",),
    ),
    "store": (
        (
            "The store in {town} always has a long queue.",
            "Staff in the shop didn't know anything about my account.",
            "I waited {mins} minutes in the store to be seen.",
            "The shop was closed when the website said it would be open.",
            "Store staff tried to sell me things I didn't need.",
        ),
        ("Only one person working in the store.",),
        (
            "The store team in {town} were fantastic.",
            "{staff} in the shop set up my phone and transferred everything.",
            "Great service in store, no queue at all.",
            "Popped into the shop and they sorted it in five minutes.",
        ),
        ("I'll always go to the store now.",),
    ),
    "plans": (
        (
            "Changing my plan comes with a penalty.",
            "The allowance on my plan runs out by mid-month.",
            "None of your family plans suit us.",
            "Adding an extra line costs a fortune.",
            "The add-on bundles are confusing and overlap.",
            "Unlimited plan isn't really unlimited.",
        ),
        ("I just want a tariff that fits how I use my phone.",),
        (
            "Love that I can change my plan every month.",
            "The family plan works brilliantly for us.",
            "Add-ons are easy to switch on and off.",
            "Unlimited plan is perfect for me.",
        ),
        ("The bundle saves us a lot.",),
    ),
    # Short comments with no theme at all.
    "general": (
        (
            "Could be better.",
            "Nothing special.",
            "Average at best.",
            "Not impressed lately.",
            "Things have gone downhill.",
        ),
        ("",),
        (
            "All good.",
            "Nothing to add.",
            "Keep doing what you're doing.",
            "Happy enough.",
            "No complaints.",
            "Fine, does the job.",
            "Always reliable.",
        ),
        ("",),
    ),
    # Not in the codeframe on purpose: the consultant should discover it.
    "roaming": (
        (
            "Roaming in {country} was a nightmare, I couldn't get online for {days} days.",
            "The travel pass never kicked in when I landed in {country}.",
            "Using my phone abroad is far too complicated.",
            "Every trip to {country} ends with a roaming fee nobody warned me about.",
            "My phone stopped working in {country} even though roaming was switched on.",
            "Got a text saying I'd used up my roaming limit after one day in {country}.",
            "Roaming outside Europe is a rip-off.",
            "The daily roaming fee in {country} is ridiculous.",
            "I was abroad for work and couldn't make calls at all.",
            "The travel pass worked in Greece but in {country} nothing connected.",
            "Why is roaming in {country} not included any more?",
            "Had to buy a local eSIM in {country} because roaming didn't work.",
        ),
        (
            "Please make roaming simpler.",
            "Other providers include roaming for free.",
            "I had to rely on hotel Wi-Fi the whole holiday.",
            "Nobody warned me before I travelled.",
        ),
        (
            "Roaming in {country} worked perfectly.",
            "The travel pass is handy when I'm abroad.",
        ),
        ("Nice to land abroad and just be connected.",),
    ),
}

# A few comments in other languages (Spanish, German, French): (text, polarity).
FOREIGN = {
    "es": (
        ("La factura es muy confusa, no entiendo los cargos.", "negative"),
        ("El servicio de atención al cliente fue excelente, gracias.", "positive"),
        ("Sin cobertura en mi casa desde hace semanas.", "negative"),
        ("Me cobraron dos veces este mes y nadie me ayuda.", "negative"),
        ("Todo bien, la aplicación funciona perfectamente.", "positive"),
        ("Demasiado caro para lo que ofrecen.", "negative"),
    ),
    "de": (
        ("Die Rechnung ist viel zu hoch und völlig unverständlich.", "negative"),
        ("Der Kundenservice war sehr freundlich und schnell.", "positive"),
        ("Kein Netz in meiner Wohnung, das ist unzumutbar.", "negative"),
        ("Die Kündigung war extrem kompliziert.", "negative"),
        ("Alles bestens, sehr zufrieden.", "positive"),
    ),
    "fr": (
        ("La facture est incompréhensible, je ne sais pas ce que je paie.", "negative"),
        ("Le service client était très aimable.", "positive"),
        ("Pas de réseau chez moi depuis un mois.", "negative"),
        ("Trop cher pour la qualité du réseau.", "negative"),
        ("Très satisfait, rien à signaler.", "positive"),
    ),
}
