"""Given names that :func:`sync.core.privacy.scrub.redact_names` takes for a person's name without a title before them.

Without a language model the scrubber cannot tell "Trevor was great" from "Tuesday was great" by grammar, so a site
that replaces staff names (``privacy.staff_names = "replace"``) and a report that redacts names at publication lean
on this list. It was written by hand for this project (no data set was copied): common given names in England and
Wales across generations, with names common in East London's Bangladeshi, Pakistani, Indian, Somali, Nigerian,
Ghanaian, Caribbean, Polish, Romanian and Turkish communities. A name missing from it is not found unless a title or
a role says it is a name ("Dr Okonkwo", "nurse Tumi", "Tumi the nurse"): docs/privacy.md says so.

Two lists, because many names are also words: a :data:`GIVEN_NAMES` name is taken in any case ("sarah was kind",
"SARAH WAS KIND"); a :data:`WORDLIKE_NAMES` name only capitalised and not at the start of a sentence ("thanks to
Grace", never "grace period", "I will", "Rose House" or "Hope you are well"). Months, two-letter names and names that
are also ward or service words (Ed: the emergency department; Jan: January; Reg: the registrar) are in neither.
"""

from __future__ import annotations


def _names(text: str) -> frozenset[str]:
    return frozenset(text.split())


GIVEN_NAMES = _names("""
abbie abby abigail adam adrian agnes agnieszka aidan aileen alan alana alasdair albert alex alexander alexandra
alexandru alfie alfred alice alison alistair allan allison amanda amelia amina amit amrit amy ana andre
andrea andreea andrei andrew andrzej andy angela angus anil anita anjali ann anna anne annette annie anthony antonio
anwar archie arif arthur arun asha ashok ashraf asif audrey ava ayesha aisha ayo ayodele ayse aziz

babajide baljit balvinder barbara barry bartek bartosz beatrice becky ben benjamin bernard bert beth bethany betty
beverley beverly bilal billy bob bobby bola brenda brendan brian bronwen bukola

callum cameron carl carlos caroline carys catherine cecil cerys charles charlie charlotte cheryl chidi chinedu
chioma chloe chris christina christine christopher ciara ciaran claire clara clare claudette clive colin connor
conor craig cristina cyril

dafydd daisy dan daniel daniela danielle danny darek dariusz darren dave davey david dawood dayo dean debbie
deborah debra declan deepa deepak delroy denise dennis derek desmond deqa dewi diana diane dinesh divya dmitri
donald donna doreen doris dorothy douglas dwayne dylan

eddie edith edna edward eileen elaine eleanor elena eleri elif eliza elizabeth ella ellie elliot elliott elsie
emeka emily emine emma emre emyr eric ernest ernie errol ethan ethel euan evan evelyn everton evie ewa ewan

faduma fadumo faisal farah farhan farhana farzana fatima fatema fatma femi fergus ffion finn fiona florence florin
folake francesco francis freddie frederick freya funke funmi

gabriel gabriela gareth gary gavin geeta geoff geoffrey george georgia gerald gerry gethin gillian giovanni
giuseppe gladys gordon gosia graeme graham gregory greg grzegorz gurpreet

habib hafsa halima hamish hamza hannah harjinder harjit harold harpreet harriet harry harvey hasan hasina hassan
hatice hawa helen henry hilda hodan howard hugh hugo husna hussain hussein huseyin huw

iain ian ibrahim idris ieuan ifeanyi ilhan imogen imran ioana ionut irena irene irfan irina isaac isabel isabella
isabelle isla ismail ivan iwan

jackie jacob jacqueline jake jakub jamal james jamie jamil jane janet janice janusz jaspreet jason javed
jaswinder jayden jean-paul jeff jeffrey jemma jennifer jenny jermaine jess jessica jill jim jimmy joan joanna
joanne joe joel joey john jon jonathan jordan jose josé joseph josephine josh joshua joyce juan judith judy julia
julian julie juliet justin jyoti

kai kamal kamran kane karen karim karl kasia kate katarzyna kath katherine kathleen kathryn katie kavita kay
keith kehinde kelly kemi ken kenneth kenny kevin khadija khadra khalid kieran kim kirsty kirstie kiran kofi kojo
krishna kris krzysztof kuldeep kuldip kulwinder kunle kwabena kwame kyle

laila lakshmi laura lauren layla leah leanne lee leila lena len lenny leo leon leonard leroy lesley leslie lewis
liam liban lilian linda lindsay lindsey lisa liz lizzie lloyd logan lorraine louis louise lubna lucas lucia lucy
luis luís lukasz luke lynn lynne

mabel madhu magda magdalena maggie mahad mahbub mahesh mahmood majid malcolm malgorzata mandy manoj manpreet
manuel marcia marco marcus margaret maria mariam marie marion marjorie marlon marta martin marvin mary maryam mason
mateusz matthew matt maureen maurice megan meena mehmet melanie melissa melvyn mervyn mia michael michal michelle
micky miguel mihaela mihai mike millie mohammed mohammad mohamed muhammad muhammed monika morag morgan morris
mukesh mukhtar mumtaz muriel murat mustafa

nadeem nadia naomi naresh nasima nasir nasreen nasrin natalia natalie natasha nathan nathaniel naveed nazia nazma
neha neil nellie neville ngozi nia niall nicholas nicky nicola nicole nigel nimco nisha niamh nkechi noah noel
norma norman nusrat

obinna oksana olga oliver olivia ollie olu olumide oluwaseun omar oscar osman owen ozlem

padraig paolo paramjit parminder parveen parvin patricia patrick paul paula paulette pauline pawel peggy percy
pete peter philip phillip phil phyllis piotr pooja pradeep prakash preeti priya puja

rachel radha rafael rafiq rahim rahman rahul raj rajesh rajinder rakesh ramesh ranjit rashid rasheed ravi raymond
rebecca rehana rekha reece rhian rhodri rhys richard ricky riley rita rizwan robbie robert rodney rohit roisin
ronald ronan ronnie rory ross rubina rukhsana rupert russell ruth ryan

sadia sagal sahra saima sajid sally salma salman sam samantha samina sammy samuel sandeep sandra sangeeta sanjay
sanjeev sara sarah satish savita scott seamus sean sebastian seema segun serkan seun shabana shahid shahin shahnaz
shamim shamima shane shanti sharon shaun shawn shazia sheila shirin shirley shobha sian siobhan simon sinead sita
sofia sonia sophia sophie stanley stella stephen steve steven stewart stuart sukhdev sukhjit sukhwinder sultana
sumaiya sunil sunita suresh susan susie suzanne svetlana sylvia

tahira tahmina taiwo tanya tariq tasnim taslima tatiana teresa terence terry theo theodore theresa thomas tim
timothy tina tobi toby tom tomasz tommy toni tony tope tracey tracy trevor tunde tyler tyrone

uche umar usha usman

valerie veena vera victor victoria vijay vikki vikram vince vincent vinod vladimir

walter wayne wendy wesley wilfred william winston wojciech

yasin yasmeen yasmin yemi yusuf yousuf yvette yvonne

zachary zahid zahra zainab zara zeynep zoe zoë zofia zubair
""")

WORDLIKE_NAMES = _names("""
amber autumn bill blessing carol cliff comfort dawn dick don drew faith favour frank grace grant guy hazel heather
holly hope iris ivy jack jade jasmine joy lily mark max mercy mick miles nick pat patience pearl penny poppy
precious ray rich rob robin rose ruby sandy sue summer violet will
""")
